/**
 * Lets `require()` load a TypeScript module that ops wrote (a lifecycle definition), also in a
 * process that runs the compiled CLI (`npm start`, see src/cli/bundle-cli.cjs), where no tsx is
 * loaded up front. tsx's CommonJS hooks are registered on the first need and stay. A process
 * already running under tsx has a `.ts` loader, and jest has its own module system without
 * `require.extensions`: in both this does nothing.
 */
export function allowTypeScriptRequires(): void {
  // `require.extensions` is where Node lists its loaders (deprecated for adding one, not reading).
  const loaders = require.extensions as NodeJS.RequireExtensions | undefined;
  if (!loaders || loaders['.ts']) return;
  // Loaded only here: tsx's code is not worth its memory in a process that never needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('tsx/cjs/api') as { register(): () => void }).register();
}
