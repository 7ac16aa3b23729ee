/**
 * What the watch tests share: the bundled sample as lines, and findings as comparable keys (a
 * finding is its rule and the event it names, or its stream), from `audit --json` or from
 * watch's NDJSON alerts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, cliJson } from './helpers.js';

export const SAMPLE = path.join(ROOT, 'fixtures', 'trading-sample.ndjson');
export const SAMPLE_LINES = fs.readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Finding {
  rule: string;
  eventId: string | null;
  stream: string | null;
}

export function findingKeys(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.rule} ${f.eventId ?? `stream:${f.stream}`}`).sort();
}

/** The findings of a full audit of a store. */
export function auditKeys(db: string): string[] {
  return findingKeys(cliJson<{ violations: Finding[] }>(['audit', '--db', db, '--fail-on', 'none', '--limit', '0', '--json']).violations);
}

/** The findings of watch's `--json` alerts. */
export function alertKeys(ndjson: string): string[] {
  return findingKeys(ndjson.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Finding));
}

/**
 * Watch's alerts against a calm audit of the same events, where batches may split sagas
 * anywhere: every finding of the audit raised exactly once, and nothing else (a finding that a
 * later event withdraws, such as compensation-missing's, waits for its settle time: the rule
 * file's `settle`, src/watch/alerts.ts).
 */
export function coversAudit(raised: readonly string[], audited: readonly string[]): { missing: string[]; twice: string[]; unexplained: string[] } {
  const counts = new Map<string, number>();
  for (const k of raised) counts.set(k, (counts.get(k) ?? 0) + 1);
  const want = new Set(audited);
  return {
    missing: audited.filter((k) => !counts.has(k)),
    twice: [...counts].filter(([, n]) => n > 1).map(([k]) => k),
    unexplained: [...counts.keys()].filter((k) => !want.has(k)),
  };
}
