#!/usr/bin/env node
/**
 * The `cs-lifecycle` executable (package.json `bin`: `npx cs-lifecycle <command>` in the repo, the
 * same CLI as `npm run cli -- <command>`). The CLI is TypeScript, so this first loads tsx's hooks
 * into this process, exactly what `node --import tsx` does, then runs main.ts, which reads
 * process.argv and exits with its own code. One process rather than a spawned child, so Ctrl-C,
 * stdin and the exit code reach the CLI without relaying. (Not `require('tsx/esm/api')`: its
 * CommonJS build looks for its loader under the wrong directory in tsx 4.23.)
 */
'use strict';
const { join } = require('node:path');

import('tsx').then(() => require(join(__dirname, 'main.ts')));
