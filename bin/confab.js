#!/usr/bin/env node
// The `confab` command: runs the compiled CLI (npm run build writes dist/).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/run.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('confab: dist/ is missing; run `npm run build` first (npm start does it for you).');
  process.exit(1);
}
await import(entry.href);
