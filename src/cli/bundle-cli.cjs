/**
 * Compiles the CLI (src/cli/main.ts and everything of ours it imports) into one CommonJS file,
 * dist/cli.cjs, that plain Node runs. `npm start` runs the engine from it: loading the sources
 * through tsx costs every Node process 50–70 MiB more (its transform caches, source maps and
 * loader), and the engine is four of them. Packages stay external (node_modules), so this takes
 * about a second and is redone on every start: the file never lags behind the sources.
 *
 * Our modules that locate files beside themselves read `__dirname`; in one bundle that would be
 * dist/ for all of them, so each one's `__dirname` is rewritten to its own source folder, relative
 * to the bundle (the checkout may move; the bundle moves with it).
 */
'use strict';
const { mkdir, readFile, rename, writeFile } = require('node:fs/promises');
const { dirname, join, relative } = require('node:path');

const ROOT = join(__dirname, '..', '..');
const CLI_BUNDLE = join(ROOT, 'dist', 'cli.cjs');

/** @returns {import('esbuild').Plugin} */
function ownSourceFolders(outDir) {
  return {
    name: 'own-source-folders',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!/\b__dirname\b/.test(source)) return undefined;
        const folder = JSON.stringify(relative(outDir, dirname(args.path)));
        return { contents: source.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${folder})`), loader: 'ts' };
      });
    },
  };
}

/** Builds dist/cli.cjs; returns its path. */
async function bundleCli() {
  // Required here, not at the top: bootstrap.cjs loads this file before node_modules may exist.
  const esbuild = require('esbuild');
  const built = await esbuild.build({
    entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    // Stack traces keep the functions' own names. The source map beside the bundle costs nothing
    // unless Node is told to use it (NODE_OPTIONS=--enable-source-maps): then traces name the .ts
    // files and lines, for a few MiB more per process.
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    // Written below, in one step: another start (a second engine, a test) may be loading it.
    write: false,
    plugins: [ownSourceFolders(dirname(CLI_BUNDLE))],
  });
  // esbuild's build service is a process of its own; the engine would otherwise carry it along.
  await esbuild.stop();
  await mkdir(dirname(CLI_BUNDLE), { recursive: true });
  // The map first: a bundle is never loaded beside an older map.
  const outputs = [...built.outputFiles].sort((a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')));
  for (const output of outputs) {
    const partial = `${output.path}.${process.pid}.tmp`;
    await writeFile(partial, output.contents);
    await rename(partial, output.path);
  }
  return CLI_BUNDLE;
}

module.exports = { bundleCli, CLI_BUNDLE };
