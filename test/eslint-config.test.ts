/**
 * The lint rule that keeps workflow-sandbox code (workflows/, src/domain/, src/plays/) away from Node and I/O,
 * checked against the real ESLint and eslint.config.mjs: its regexes are easy to get subtly wrong
 * (a ban that also catches `zod`, or lets `node:fs` through). ESLint runs in a child process, as
 * `npm run lint` does, since its config is an ES module.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..');

interface Probe {
  filePath: string;
  code: string;
}

/** Lints each probe as if it were that file of the tree; answers the rule ids and messages found. */
async function lint(probes: Probe[]): Promise<{ ruleId: string | null; message: string }[][]> {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const probes = JSON.parse(process.argv[1]);
      const out = [];
      for (const probe of probes) {
        const [result] = await eslint.lintText(probe.code, { filePath: probe.filePath });
        out.push(result.messages.map(({ ruleId, message }) => ({ ruleId, message })));
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const stdout = await new Promise<string>((done, fail) =>
    execFile(process.execPath, ['-e', script, JSON.stringify(probes)], { cwd: root, timeout: 90_000 }, (error, out, err) =>
      error ? fail(new Error(`eslint failed: ${err}`)) : done(out),
    ),
  );
  return JSON.parse(stdout) as { ruleId: string | null; message: string }[][];
}

const ruleIds = (messages: { ruleId: string | null }[]) => messages.map((m) => m.ruleId);

describe('the workflow-sandbox lint rule', () => {
  it('refuses Node built-ins, I/O packages and non-sandbox modules in workflows/, src/domain/ and src/plays/', async () => {
    const banned: Probe[] = [
      { filePath: 'workflows/probe.ts', code: "import { readFileSync } from 'fs';\nexport const x = readFileSync;\n" },
      { filePath: 'workflows/probe.ts', code: "import { join } from 'node:path';\nexport const x = join;\n" },
      { filePath: 'workflows/probe.ts', code: "import { readFile } from 'fs/promises';\nexport const x = readFile;\n" },
      { filePath: 'workflows/probe.ts', code: "import { Pool } from 'pg';\nexport const x = Pool;\n" },
      { filePath: 'workflows/probe.ts', code: "import { Client } from '@temporalio/client';\nexport const x = Client;\n" },
      { filePath: 'workflows/probe.ts', code: "import { Context } from '@temporalio/activity';\nexport const x = Context;\n" },
      { filePath: 'workflows/probe.ts', code: "import { createActivities } from '../activities';\nexport const x = createActivities;\n" },
      { filePath: 'workflows/probe.ts', code: "import { loadConfig } from '../src/config';\nexport const x = loadConfig;\n" },
      { filePath: 'workflows/probe.ts', code: 'export const x = process.env;\n' },
      { filePath: 'src/domain/probe.ts', code: "import { createHash } from 'crypto';\nexport const x = createHash;\n" },
      { filePath: 'src/domain/probe.ts', code: "import nodemailer from 'nodemailer';\nexport const x = nodemailer;\n" },
      { filePath: 'src/domain/probe.ts', code: "import { PrismaClient } from '@prisma/client';\nexport const x = PrismaClient;\n" },
      { filePath: 'src/domain/probe.ts', code: "import { Prisma } from '../generated/prisma/client';\nexport const x = Prisma;\n" },
      { filePath: 'src/plays/probe.ts', code: "import { createHash } from 'node:crypto';\nexport const x = createHash;\n" },
      { filePath: 'src/plays/probe.ts', code: "import { createMailer } from '../mail/transport';\nexport const x = createMailer;\n" },
      { filePath: 'src/plays/probe.ts', code: "import { Context } from '@temporalio/activity';\nexport const x = Context;\n" },
    ];
    const results = await lint(banned);
    results.forEach((messages, index) => {
      expect({ probe: banned[index]!.code, rules: ruleIds(messages) }).toEqual({
        probe: banned[index]!.code,
        rules: [expect.stringMatching(/^(@typescript-eslint\/no-restricted-imports|no-restricted-globals)$/)],
      });
    });
  }, 120_000);

  it('allows the workflow API, zod, sandbox-safe modules and type-only imports', async () => {
    const allowed: Probe[] = [
      {
        filePath: 'workflows/probe.ts',
        code: [
          "import { sleep } from '@temporalio/workflow';",
          "import { defineSearchAttributeKey } from '@temporalio/common';",
          "import { z } from 'zod';",
          "import { computeHealth } from '../src/domain/health';",
          "import { customerLifecycleWorkflow } from './customer-lifecycle';",
          "import type { LifecycleActivities } from '../activities';",
          "import type { Client } from '@temporalio/client';",
          'export const x = [sleep, defineSearchAttributeKey, z, computeHealth, customerLifecycleWorkflow];',
          'export type Y = LifecycleActivities | Client;',
          '',
        ].join('\n'),
      },
      { filePath: 'src/domain/probe.ts', code: "import { z } from 'zod';\nimport { computeHealth } from './health';\nexport const x = [z, computeHealth];\n" },
      { filePath: 'src/domain/probe.ts', code: "import { ZPlay } from '../plays/definition';\nexport const x = ZPlay;\n" },
      {
        filePath: 'src/plays/probe.ts',
        code: "import { z } from 'zod';\nimport { conditionMet } from '../domain/stage-rules';\nimport { ZPlay } from './definition';\nexport const x = [z, conditionMet, ZPlay];\n",
      },
      { filePath: 'workflows/probe.ts', code: "import { stepKey } from '../src/plays/interpreter';\nexport const x = stepKey;\n" },
      // Outside the sandbox the same imports are fine.
      { filePath: 'src/db/probe.ts', code: "import { readFileSync } from 'node:fs';\nimport { Pool } from 'pg';\nexport const x = [readFileSync, Pool];\n" },
    ];
    const results = await lint(allowed);
    expect(results).toEqual([[], [], [], [], [], []]);
  }, 120_000);
});
