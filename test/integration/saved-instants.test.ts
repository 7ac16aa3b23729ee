import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dateIso } from '../../src/core/time.js';
import { exportStore } from '../../src/export/export.js';
import { ingestFiles } from '../../src/ingest/ingest.js';
import { buildManifest } from '../../src/integrity/manifest.js';
import { verifyStore } from '../../src/integrity/verify.js';
import { Store } from '../../src/store/store.js';
import { ALERTS_DDL, raiseOnce } from '../../src/watch/alerts.js';
import { event, ndjson, tmpDir } from '../helpers.js';

/**
 * Every instant evtrail saves is in the one format its output uses (RFC 3339 UTC, nine digits,
 * Z): the seal's sealedAt, the export manifest's created_at, watch's raisedAt. Three digits
 * (Date#toISOString) made one field two formats beside the events' times.
 */
const NINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
const dir = tmpDir('evtrail-instants-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function withStore<T>(name: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const db = path.join(dir, `${name}.duckdb`);
  const file = path.join(dir, `${name}.ndjson`);
  fs.writeFileSync(file, ndjson([event({ id: 'evt-1', rev: 1 }), event({ id: 'evt-2', rev: 2 })]));
  const store = await Store.open(db, { create: true });
  try {
    await ingestFiles(store, { sources: [file] });
    return await fn(store);
  } finally {
    store.close();
  }
}

describe('saved instants', () => {
  it('dateIso keeps the milliseconds and pads to nine digits', () => {
    expect(dateIso(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67)))).toBe('2026-01-02T03:04:05.067000000Z');
  });

  it("a seal's sealedAt has nine digits", async () => {
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const at = new Date(Date.UTC(2026, 11, 7, 23, 30, 0, 123));
    const sealed = await withStore('seal', async (store) => buildManifest(await verifyStore(store), store.path, privateKey, at));
    expect(sealed.sealedAt).toBe('2026-12-07T23:30:00.123000000Z');
  });

  it("an export manifest's created_at has nine digits", async () => {
    const out = path.join(dir, 'export');
    await withStore('export', (store) => exportStore(store, { format: 'ndjson', out, partitionBy: [] }));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { created_at: string };
    expect(manifest.created_at).toMatch(NINE);
  });

  it("watch's raisedAt has nine digits, and the store keeps the same instant", async () => {
    const [alert, stored] = await withStore('watch', async (store) => {
      await store.run(ALERTS_DDL);
      const alerts = await raiseOnce(store, [{ rule: 'r', severity: 'error', eventId: 'evt-1', stream: null, message: 'm', evidence: {} }], 2, null);
      const rows = await store.all(`SELECT strftime(raised_at, '%Y-%m-%dT%H:%M:%S.%g') AS at FROM watch_alerts`);
      return [alerts[0]!, String(rows[0]!.at)];
    });
    expect(alert.raisedAt).toMatch(NINE);
    expect(alert.raisedAt.slice(0, 23)).toBe(stored);
  });
});
