// ui --watch's pure parts: the feed that throttles the screens' refreshes and keeps the
// watcher's alerts (each once), the audit screen's result made of them, the live line's words.
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../src/watch/alerts.js';
import type { BatchReport } from '../../src/watch/watcher.js';
import { liveText } from '../../src/ui/app/components/chrome.js';
import { KEPT_PER_RULE, LiveFeed, REFRESH_MS, SCAN_SPACING, scanDelay } from '../../src/ui/app/data/live.js';

const RULES = [
  { id: 'duplicate-event-id', title: 'An event was delivered more than once', severity: 'warning' as const, pack: '' },
  { id: 'order-overfill', title: 'Filled beyond the order', severity: 'error' as const, pack: 'trading' },
];

const batch = (events: number, at = 1_000): BatchReport => ({ at, events, rejected: 0, types: {}, lagMs: 250, alerts: 0, ms: 10, summary: null });
const alert = (rule: string, eventId: string, raisedAt = '2026-12-08T01:00:00.000000000Z'): Alert => ({
  rule, severity: rule === 'order-overfill' ? 'error' : 'warning', eventId, stream: 'order-1', message: `${rule} at ${eventId}`, evidence: { seq: 7 }, raisedAt,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('LiveFeed', () => {
  it('moves its version at once, then at most once per refresh period however many batches come', async () => {
    const feed = new LiveFeed(RULES, 150);
    feed.batch(batch(10));
    expect(feed.snapshot().version).toBe(1);
    for (let i = 0; i < 20; i++) feed.batch(batch(1));
    expect(feed.snapshot().version).toBe(1);
    expect(feed.snapshot()).toMatchObject({ batches: 21, events: 30, lagMs: 250, lastBatchAt: 1_000 });
    const end = Date.now() + 5_000;
    while (feed.snapshot().version < 2 && Date.now() < end) await sleep(20);
    expect(feed.snapshot().version).toBe(2);
    await sleep(300);
    expect(feed.snapshot().version).toBe(2);
    feed.dispose();
  });

  it('keeps each alert once (one read from the store and raised again is one), newest first, and counts them per rule', () => {
    const feed = new LiveFeed(RULES, 0);
    feed.earlier([alert('duplicate-event-id', 'e1'), alert('order-overfill', 'e2')]);
    feed.alert(alert('order-overfill', 'e2'));
    feed.alert(alert('order-overfill', 'e3'));
    const s = feed.snapshot();
    expect(s.alertsInStore).toBe(3);
    expect(s.alertCount).toBe(1);
    expect(s.recent.map((a) => a.eventId)).toEqual(['e3', 'e2', 'e1']);
    const result = feed.audit('live.duckdb', 40);
    expect(result.rules.map((r) => [r.id, r.violations, r.title])).toEqual([
      ['duplicate-event-id', 1, RULES[0]!.title],
      ['order-overfill', 2, RULES[1]!.title],
    ]);
    expect(result.violations.map((v) => `${v.rule} ${v.eventId}`)).toEqual(['duplicate-event-id e1', 'order-overfill e2', 'order-overfill e3']);
    expect(result.events).toBe(40);
    feed.dispose();
  });

  it('keeps at most KEPT_PER_RULE alerts of a rule for the drill-down; the count stays exact; a rule not in the catalog is listed too', () => {
    const feed = new LiveFeed(RULES, 0);
    for (let i = 0; i < KEPT_PER_RULE + 5; i++) feed.alert(alert('duplicate-event-id', `e${i}`));
    feed.alert(alert('my-rule', 'x1'));
    const result = feed.audit('live.duckdb', 1);
    const dup = result.rules.find((r) => r.id === 'duplicate-event-id')!;
    expect(dup.violations).toBe(KEPT_PER_RULE + 5);
    expect(dup.truncated).toBe(true);
    expect(result.violations.filter((v) => v.rule === 'duplicate-event-id')).toHaveLength(KEPT_PER_RULE);
    expect(result.rules.at(-1)).toMatchObject({ id: 'my-rule', violations: 1 });
    feed.dispose();
  });
});

describe('scanDelay', () => {
  it('spaces the overview\'s scans by their cost (a quarter of the time at most), never closer than a refresh', () => {
    expect(scanDelay(0, Infinity)).toBeLessThanOrEqual(0);
    expect(scanDelay(10, 0)).toBe(REFRESH_MS);
    expect(scanDelay(500, 0)).toBe(SCAN_SPACING * 500);
    expect(scanDelay(500, 1_500)).toBe(SCAN_SPACING * 500 - 1_500);
    expect(scanDelay(500, 2_500)).toBeLessThanOrEqual(0);
  });
});

describe('the live line', () => {
  it('says live with the events stored, this run\'s share, alerts, lag and the last batch; then how the watcher ended', () => {
    const feed = new LiveFeed(RULES, 0);
    expect(liveText(feed.snapshot(), 0, 0)).toBe('● live · 0 events (+0) · 0 alerts · no batch yet');
    feed.batch(batch(410, Date.parse('2026-12-08T01:02:03Z')));
    feed.alert(alert('order-overfill', 'e1'));
    expect(liveText(feed.snapshot(), 1_410, Date.parse('2026-12-08T01:02:05Z'))).toBe('● live · 1,410 events (+410) · 1 alert · lag 0.3 s · batch 01:02:03, 2.0 s ago');
    feed.stopping();
    expect(liveText(feed.snapshot(), 1_410, 0)).toMatch(/^● stopping the watcher after the batch in flight… · /);
    feed.ended({ kind: 'failed', message: 'PostgreSQL at x: no table s.t', hint: 'check --table' });
    expect(liveText(feed.snapshot(), 1_410, 0)).toBe('● watcher failed (q quits; the store stays open to explore): PostgreSQL at x: no table s.t (hint: check --table)');
    feed.dispose();
  });
});
