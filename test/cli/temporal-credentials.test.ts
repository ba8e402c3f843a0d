/**
 * A wrong Temporal key or certificate must stop the worker, the API and the CLI at start-up with
 * one sentence naming the setting, never a stack trace. The dev server speaks neither TLS nor API
 * keys, so the other side here is a real TLS server with a self-signed certificate (made with
 * openssl) and a gRPC server that refuses every key, as Temporal Cloud answers a wrong one.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { createScratchDatabase } from '../../src/dev-infra/postgres';
import { uniqueSuffix } from '../support/servers';

const root = resolve(__dirname, '../..');

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    execFile(
      join(root, 'node_modules/.bin/tsx'),
      ['src/cli/main.ts', ...args],
      { cwd: root, env: { ...process.env, DATABASE_URL: '', TEMPORAL_ADDRESS: '', LIFECYCLE_DEFINITION: '', ...env }, timeout: 90_000 },
      (error, _stdout, stderr) => done({ code: error ? ((error.code as number | null) ?? 1) : 0, stderr }),
    );
  });
}

function expectOneSentence(result: { code: number | null; stderr: string }, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack frames
  expect(result.stderr).not.toContain('Unexpected failure');
}

describe('Temporal credentials at start-up', () => {
  let dir: string;
  let cert: string;
  let key: string;
  let tlsServer: TlsServer;
  let tlsPort: number;
  let grpcServer: grpc.Server;
  let grpcPort: number;
  let databaseUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cs-cred-'));
    databaseUrl = await createScratchDatabase(process.env.TEST_POSTGRES_URL!, `t_cred_${uniqueSuffix()}`);
    cert = join(dir, 'server.pem');
    key = join(dir, 'server.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=temporal.test',
        '-addext',
        'subjectAltName=DNS:temporal.test',
      ],
      { stdio: 'ignore' },
    );
    writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n');
    tlsServer = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key), ALPNProtocols: ['h2'] }, (socket) => socket.destroy());
    tlsServer.on('tlsClientError', () => undefined);
    tlsPort = await new Promise((ready) => tlsServer.listen(0, '127.0.0.1', () => ready((tlsServer.address() as AddressInfo).port)));

    // Every call answered UNAUTHENTICATED, as Temporal Cloud answers a wrong or revoked API key.
    grpcServer = new grpc.Server();
    const refuse = (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback({ code: grpc.status.UNAUTHENTICATED, details: 'Request unauthorized.' });
    const method = (path: string) => ({
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => b,
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    });
    grpcServer.addService(
      {
        getSystemInfo: method('/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo'),
        describeNamespace: method('/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace'),
      },
      { getSystemInfo: refuse, describeNamespace: refuse },
    );
    grpcPort = await new Promise((ready, fail) =>
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? fail(error) : ready(port))),
    );
  });
  afterAll(async () => {
    tlsServer?.close();
    grpcServer?.forceShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a certificate file that is not PEM stops the worker before anything starts', async () => {
    const result = await runCli(['worker'], { TEMPORAL_ADDRESS: `127.0.0.1:${tlsPort}`, TEMPORAL_TLS_CA: join(dir, 'garbage.pem') });
    expectOneSentence(result, /TEMPORAL_TLS_CA: .*garbage\.pem does not hold a PEM certificate/);
    expect(result.stderr).not.toContain('database:');
  });

  it('a server certificate the CA does not vouch for stops the CLI with one sentence', async () => {
    const result = await runCli(['list'], { TEMPORAL_ADDRESS: `127.0.0.1:${tlsPort}`, TEMPORAL_TLS: 'on', TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });
    expectOneSentence(result, new RegExp(`The TLS handshake with Temporal at 127\\.0\\.0\\.1:${tlsPort} \\(TLS\\) failed: .+`));
    expect(result.stderr).toContain('→ Check TEMPORAL_TLS_CA');
  });

  it('a refused API key stops the API and the worker with one sentence, and the key is not printed', async () => {
    const env = { TEMPORAL_ADDRESS: `127.0.0.1:${grpcPort}`, TEMPORAL_TLS: 'off', TEMPORAL_API_KEY: 'wrong-key-123', DATABASE_URL: databaseUrl };
    for (const command of ['api', 'worker']) {
      const result = await runCli([command], env);
      expectOneSentence(result, new RegExp(`Temporal at 127\\.0\\.0\\.1:${grpcPort} \\(plaintext, API key\\) refused the credentials: .*unauthorized`, 'i'));
      expect(result.stderr).toContain('→ Check TEMPORAL_API_KEY');
      expect(result.stderr).not.toContain('wrong-key-123');
    }
  });
});
