#!/usr/bin/env node
// npm run bench [-- --orders N] [-- --large] [-- --runs N] [-- --only NAME]
//
// Runs every bench/*.bench.mjs in one process, in name order, and writes their sections to
// BENCHMARKS.md. Each bench compares evtrail against a baseline in the same run on the same
// data: ratios, not absolute times, because these machines are shared and noisy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OUT, ROOT } from './lib.mjs';

const { values: args } = parseArgs({
  options: {
    orders: { type: 'string', default: '100000' },
    large: { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
fs.mkdirSync(OUT, { recursive: true });
const benches = fs.readdirSync(path.join(ROOT, 'bench')).filter((f) => f.endsWith('.bench.mjs')).sort()
  .filter((f) => !args.only || f.startsWith(args.only));
const sections = [];
for (const file of benches) {
  console.error(`bench: ${file}`);
  const { run } = await import(path.join(ROOT, 'bench', file));
  sections.push(await run({ args }));
}
const md = `# Benchmarks

Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}).
Every number in one table comes from the same run on the same data, so compare ratios, not
absolute times: these machines are shared and noisy.

${sections.join('\n')}`;
if (!args.only) fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), md);
process.stdout.write(md);
