// Bundled as dist/electron/main.mjs: starts the shell relative to its own folder.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from './main.ts';

void start(dirname(fileURLToPath(import.meta.url)));
