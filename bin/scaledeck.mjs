#!/usr/bin/env node
// Entry point of the `scaledeck` command. TypeScript sources run through tsx's loader, so the
// CLI, web mode and tests all run the same code without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../electron/cli.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Let pending stdout writes flush, then leave even if a socket keeps the loop alive.
setImmediate(() => process.exit(code));
