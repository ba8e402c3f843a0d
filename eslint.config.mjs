/**
 * Lint rules for the whole tree (`npm run lint`). Beyond the recommended JavaScript and
 * typescript-eslint rules (not the type-checked set: `tsc --noEmit` already runs in `npm test`),
 * it guards the one boundary the compiler cannot see: code that runs inside Temporal's workflow
 * sandbox (workflows/, the pure rules in src/domain/, the plays in src/plays/) must not reach Node
 * built-ins or I/O, because the workflow bundle cannot load them and a workflow that did I/O would
 * not replay.
 * Formatting is Prettier's job (`npm run format:check`), so no stylistic rules here.
 */
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const nodeBuiltin = `node:.*|(${builtinModules.map(escapeRegex).join('|')})(/.*)?`;
// What sandbox code may import by package name: the workflow API, its shared types, and zod (pure).
const sandboxPackages = '@temporalio/workflow|@temporalio/common|zod';

/**
 * Import bans for code that enters the workflow sandbox. Type-only imports are allowed throughout:
 * they are erased before bundling, and are how workflows name activities (`import type … from
 * '../activities'`, as the Temporal samples do). `leavingSandbox` matches the relative imports that
 * would pull in non-sandbox code from the folder the rule is applied to.
 */
const sandboxImportRules = (leavingSandbox) => ({
  '@typescript-eslint/no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          regex: `^(${nodeBuiltin})$`,
          caseSensitive: true,
          allowTypeImports: true,
          message: 'Node built-ins are not available in the workflow sandbox: do this in an activity, or outside workflows/, src/domain/ and src/plays/.',
        },
        {
          regex: `^(?!\\.|(${nodeBuiltin})$|(${sandboxPackages})(/|$))`,
          caseSensitive: true,
          allowTypeImports: true,
          message:
            'Workflow-sandbox code may import only @temporalio/workflow, @temporalio/common and zod by package name: I/O (pg, @prisma/*, nodemailer, @temporalio/client|worker|activity, …) belongs in activities/ or src/.',
        },
        {
          regex: leavingSandbox,
          caseSensitive: true,
          allowTypeImports: true,
          message:
            'Only workflows/, src/domain/ and src/plays/ are sandbox-safe: value imports from elsewhere (the Prisma client, config, mail, …) would enter the workflow bundle.',
        },
      ],
    },
  ],
  // Node's globals exist in the sandbox's type declarations (tsconfig loads @types/node) but not in it.
  'no-restricted-globals': [
    'error',
    ...['process', 'Buffer', 'require', 'module', 'exports', '__dirname', '__filename', 'global'].map((name) => ({
      name,
      message: 'A Node global: not available in the workflow sandbox.',
    })),
  ],
  // The workflow bundle is built ahead of time; a dynamic import() has nothing to load at run time.
  'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: 'No dynamic import() in workflow-sandbox code.' }],
});

export default tseslint.config(
  { ignores: ['src/generated/', 'node_modules/', 'dist/', 'coverage/', '.data/', '.scratch/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names and rest siblings (`const { dropped: _, ...kept } = x`) say "unused on purpose".
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // State declared before the handlers that close over it and assigned after an await must stay `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Regexes here match the CLI's indented output; literal spaces read as that output does.
      'no-regex-spaces': 'off',
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    // CommonJS files are the entry points that run before TypeScript is loaded: require() is their import.
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { globals: globals.node } },
  {
    files: ['test/**/*.ts'],
    // Tests read JSON response bodies loosely and let the assertion, not a type, say what is expected.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    // Workflows may import each other, src/domain/, src/plays/ and (types only) activities/.
    rules: sandboxImportRules('^\\.\\./(?!src/(domain|plays)/)'),
  },
  {
    files: ['src/domain/**/*.ts'],
    // src/domain/ is one flat folder: `../` leaves it, for anywhere but its sibling src/plays/.
    rules: sandboxImportRules('^\\.\\./(?!plays/)'),
  },
  {
    files: ['src/plays/**/*.ts'],
    // src/plays/ is one flat folder that builds on src/domain/: any other `../` leaves the sandbox.
    rules: sandboxImportRules('^\\.\\./(?!domain/)'),
  },
);
