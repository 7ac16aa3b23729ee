// The report budget: `evtrail report --out report.html` (all rules, the integrity check, the
// charts, HTML rendered and sealed: the CLI as a user runs it) against its own baseline in the
// same run on the same store: `evtrail audit --json --fail-on none`, the audit the report is
// built around. The ratio is what the report adds to an audit. With --large it runs on the
// cached 10M-event store (the budget's), else on a 1M-event store (100k orders, seed 7).
import os from 'node:os';
import path from 'node:path';
import { OUT, best, cachedStore, evtrail, fmt, largeStore } from './lib.mjs';

export async function run({ args }) {
  const db = args.large ? largeStore().db : cachedStore(100_000, 'report-1m').db;
  const runs = Number(args.runs);
  const load = os.loadavg()[0];
  const out = path.join(OUT, 'report.html');
  const audits = [];
  const reports = [];
  const unverified = [];
  for (let i = 0; i < runs; i++) {
    audits.push(evtrail(['audit', '--db', db, '--json', '--fail-on', 'none']));
    reports.push(evtrail(['report', '--out', out, '--db', db, '--json']));
    unverified.push(evtrail(['report', '--out', out, '--db', db, '--json', '--no-verify']));
  }
  const audit = best(audits);
  const report = best(reports);
  const noVerify = best(unverified);
  const summary = JSON.parse(report.stdout);
  const events = JSON.parse(audit.stdout).events;
  const large = events >= 10_000_000;
  const verdict = large ? `**${fmt(report.secs)} s, ${report.secs <= 20 ? 'met' : 'MISSED'}**` : `not measured here (this run has ${events.toLocaleString('en-US')} audited events; \`npm run bench -- --only report --large\` measures it)`;
  return `## Report: the HTML audit report on ${events.toLocaleString('en-US')} events (best of ${runs} run(s))

\`evtrail report --out ${path.relative(process.cwd(), out)} --db ${path.relative(process.cwd(), db)}\`: all ${summary.rules} rules, the integrity check, the charts, sealed (${(summary.bytes / 1024).toFixed(0)} KiB, ${summary.violations.toLocaleString('en-US')} violations, integrity ${summary.integrity}).

| what | seconds | peak RSS MB |
|---|---|---|
| evtrail report, HTML | ${fmt(report.secs)} | ${fmt(report.rssMb, 0)} |
| evtrail report, HTML, --no-verify (without the integrity check) | ${fmt(noVerify.secs)} | ${fmt(noVerify.rssMb, 0)} |
| baseline: evtrail audit --json --fail-on none | ${fmt(audit.secs)} | ${fmt(audit.rssMb, 0)} |
| ratio report / audit | ${fmt(report.secs / audit.secs)} × | |
| ratio report --no-verify / audit | ${fmt(noVerify.secs / audit.secs)} × | |

Budget (issue 6): \`report\` (HTML, all rules) ≤ 20 s on 10M events: ${verdict}.
The load average was ${load.toFixed(1)} when this bench started (two shared cores).
`;
}
