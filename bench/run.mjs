#!/usr/bin/env node
// npm run bench [-- --orders N] [-- --large] [-- --runs N] [-- --only NAME]
// (`--only scale`: the scale curve, which a plain run leaves out)
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
// The scale curve takes tens of minutes (logs up to 10M events, 30M with --large): it runs
// only when asked for by name, never as part of a plain `npm run bench`.
const ON_DEMAND = ['scale.bench.mjs'];
const benches = fs.readdirSync(path.join(ROOT, 'bench')).filter((f) => f.endsWith('.bench.mjs')).sort()
  .filter((f) => (args.only ? f.startsWith(args.only) : !ON_DEMAND.includes(f)));
// Each section is kept between markers, so `--only` refreshes its own and keeps the others.
const file = path.join(ROOT, 'BENCHMARKS.md');
const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
const sectionOf = (name) => new RegExp(`<!-- bench:${name} -->[\\s\\S]*?<!-- /bench:${name} -->`).exec(previous)?.[0];
const all = fs.readdirSync(path.join(ROOT, 'bench')).filter((f) => f.endsWith('.bench.mjs')).sort();
const sections = [];
for (const name of all.map((f) => f.replace('.bench.mjs', ''))) {
  if (!benches.includes(`${name}.bench.mjs`)) {
    const kept = sectionOf(name);
    if (kept) sections.push(kept);
    continue;
  }
  console.error(`bench: ${name}`);
  const { run } = await import(path.join(ROOT, 'bench', `${name}.bench.mjs`));
  let md;
  try {
    md = await run({ args });
  } catch (error) {
    // A user-facing problem (a store in use, a missing build) is one line, as in the CLI.
    process.stderr.write(`bench ${name}: ${error?.message ?? error}\n${error?.hint ? `hint: ${error.hint}\n` : ''}`);
    process.exit(2);
  }
  sections.push(`<!-- bench:${name} -->\n_Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (load average ${os.loadavg()[0].toFixed(1)})._\n\n${md.trim()}\n<!-- /bench:${name} -->`);
}
// Notes after the last section (numbers measured by hand, say) are kept as they are.
const lastEnd = previous.lastIndexOf('<!-- /bench:');
const tail = lastEnd < 0 ? '' : previous.slice(lastEnd).replace(/^<!-- \/bench:[^>]*-->/, '').trim();
const md = `# Benchmarks

Written by \`npm run bench\` (${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}).
Every number in one table comes from the same run on the same data, so compare ratios, not
absolute times: these machines are shared and noisy. \`npm run bench -- --only NAME\` refreshes
one section.

${sections.join('\n\n')}
${tail ? `\n${tail}\n` : ''}`;
fs.writeFileSync(file, md);
process.stdout.write(md);
