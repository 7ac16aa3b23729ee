import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson as canonicalJsonOf } from '../../src/integrity/manifest.js';
import { cli, cliJson, event, ndjson, tmpDir } from '../helpers.js';

/** keygen, seal and verify through the built CLI, on real files and stores. */
const dir = tmpDir('evtrail-integrity-cli-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const p = (f: string) => path.join(dir, f);

function lines(from: number, count: number): string {
  return ndjson(Array.from({ length: count }, (_, i) => event({ id: `evt-${from + i}`, rev: from + i, data: { orderId: 'ord-1', qty: from + i } })));
}

/** Runs SQL on a store directly (what someone with write access to the file could do). */
async function tamper(db: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  try {
    await conn.run(sql);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * A careful forger: runs `sql` on the store, then rebuilds its event hashes (those of the
 * events `rehash` selects) and every block with evtrail's own SQL and link function, so that
 * the store's own chain matches the edit: only a seal can tell.
 */
async function forge(db: string, sql: string, rehash: string): Promise<void> {
  const { eventHashSql } = await import('../../src/integrity/canonical.js');
  await tamper(db, `${sql};
    DELETE FROM event_hashes WHERE seq IN (SELECT seq FROM events WHERE ${rehash});
    INSERT INTO event_hashes SELECT seq, ${eventHashSql()} FROM events WHERE ${rehash};
    DELETE FROM chain_blocks`);
  const { insertBlocks, linkScopes, scopedDigests } = await import('../../src/integrity/chain-store.js');
  const { Store } = await import('../../src/store/store.js');
  const store = await Store.open(db);
  try {
    await insertBlocks(store, linkScopes(await scopedDigests(store, 65536)));
  } finally {
    store.close();
  }
}

function copyStore(from: string, to: string): string {
  fs.copyFileSync(from, to);
  return to;
}

beforeAll(() => {
  fs.writeFileSync(p('log.ndjson'), lines(1, 50));
  expect(cli(['ingest', p('log.ndjson'), '--db', p('s.duckdb')]).code).toBe(0);
  expect(cli(['keygen', '--out', p('audit-key')]).code).toBe(0);
  expect(cli(['keygen', '--out', p('other-key')]).code).toBe(0);
  expect(cli(['seal', '--db', p('s.duckdb'), '--key', p('audit-key.pem'), '--out', p('seal.json')]).code).toBe(0);
});

describe('keygen', () => {
  it('writes a private key only its owner reads, and a public key', () => {
    expect(fs.statSync(p('audit-key.pem')).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(p('audit-key.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('never overwrites a key', () => {
    const before = fs.readFileSync(p('audit-key.pem'), 'utf8');
    const r = cli(['keygen', '--out', p('audit-key')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/audit-key\.pem exists/);
    expect(fs.readFileSync(p('audit-key.pem'), 'utf8')).toBe(before);
  });

  it('a key file that is not a PEM key, or not Ed25519, is one line and a hint (exit 2)', () => {
    fs.writeFileSync(p('not-a-key.pem'), 'hello\n');
    fs.writeFileSync(p('x.md'), '# not a report\n');
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    fs.writeFileSync(p('rsa.pub'), rsa.publicKey.export({ type: 'spki', format: 'pem' }));
    const cases: [string[], RegExp][] = [
      [['seal', '--db', p('s.duckdb'), '--key', p('not-a-key.pem'), '--out', p('x.json')], /not-a-key\.pem is not a PEM private key\nhint: /],
      [['verify', '--report', p('x.md'), '--pubkey', p('not-a-key.pem')], /not-a-key\.pem is not a PEM public key\nhint: /],
      [['verify', '--report', p('x.md'), '--pubkey', p('rsa.pub')], /rsa\.pub is a rsa key, not Ed25519\nhint: /],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('verify', () => {
  it('recomputes the chain: ok, with the head per store and per source', () => {
    const v = cliJson(['verify', '--db', p('s.duckdb')]);
    expect(v).toMatchObject({ ok: true, events: 50, problems: [] });
    expect(v.head).toMatch(/^[0-9a-f]{64}$/);
    expect(v.sources).toEqual([expect.objectContaining({ uri: p('log.ndjson'), events: 50, head: v.head, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
  });

  it('exits 1 and names the first event that differs', async () => {
    const db = copyStore(p('s.duckdb'), p('edited.duckdb'));
    await tamper(db, `UPDATE events SET data = '{"orderId":"ord-1","qty":1000000}' WHERE seq = 17`);
    const r = cli(['verify', '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/changed: seq 17 \(id evt-17\)/);
    expect(r.stderr).toMatch(/verification failed: 1 problem\(s\); first: seq 17/);
  });

  it('with --source, re-reads the file and names the first line that changed', () => {
    const db = copyStore(p('s.duckdb'), p('src.duckdb'));
    fs.mkdirSync(p('moved'));
    const text = fs.readFileSync(p('log.ndjson'), 'utf8').split('\n');
    text[22] = text[22]!.replace('"qty":23', '"qty":24');
    fs.writeFileSync(p('moved/log.ndjson'), text.join('\n'));
    const r = cli(['verify', '--db', db, '--source', p('moved'), '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout);
    expect(v.problems).toEqual([expect.objectContaining({ kind: 'source-changed', seq: 23, id: 'evt-23' })]);
    expect(v.problems[0].message).toMatch(/first difference at line 23/);
    // The file where it was ingested is unchanged.
    expect(cli(['verify', '--db', db, '--source']).code).toBe(0);
  });

  it('a temporary folder it cannot write is one line and a hint (exit 2), not a stack trace', () => {
    const r = cli(['verify', '--db', p('s.duckdb')], { env: { ...process.env, NO_COLOR: '1', TMPDIR: p('no-such-tmp') } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^evtrail: cannot create a temporary folder in .*no-such-tmp for the hash chain: ENOENT\nhint: point TMPDIR at a writable folder/);
  });

  it('refuses a --source path that does not exist (exit 2, not a silent ok)', () => {
    const r = cli(['verify', '--db', p('s.duckdb'), '--source', p('no-such-folder')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/evtrail: --source .*no-such-folder: no such file or folder\nhint: /);
  });
});

describe('event hashes at ingest', () => {
  /** seq → hash as stored, and whether each equals the hash DuckDB computes from the event. */
  async function storedHashes(db: string): Promise<{ hashes: string[]; recomputed: number }> {
    const { eventHashSql } = await import('../../src/integrity/canonical.js');
    const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
    const conn = await instance.connect();
    try {
      const rows = (await conn.runAndReadAll(`SELECT h.seq::VARCHAR || ',' || h.hash AS line, h.hash = ${eventHashSql('e')} AS same
        FROM event_hashes h JOIN events e USING (seq) ORDER BY h.seq`)).getRowObjectsJson();
      return { hashes: rows.map((r) => String(r.line)), recomputed: rows.filter((r) => r.same === true).length };
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  }

  it('are the same from the worker thread as from the main thread, and what DuckDB computes, across appends', async () => {
    const awkward = ndjson([
      event({ id: 'evt-a\nb', stream: 'a,b:1', data: { note: 'line\nbreak', nul: '\u0000', s: 'é ✓' } }),
      event({ id: 'evt-c', stream: null, rev: null, data: { big: 'x'.repeat(20000) } }),
    ]);
    fs.writeFileSync(p('hash-1.ndjson'), lines(1, 30) + awkward);
    fs.writeFileSync(p('hash-2.ndjson'), lines(100, 20));
    const worker = { env: { ...process.env, NO_COLOR: '1', EVTRAIL_DB: undefined, EVTRAIL_HASH_WORKER_EVENTS: '0' } };
    for (const [db, options] of [[p('hash-thread.duckdb'), {}], [p('hash-worker.duckdb'), worker]] as const) {
      expect(cli(['ingest', p('hash-1.ndjson'), '--db', db], options).code).toBe(0);
      expect(cli(['ingest', p('hash-2.ndjson'), '--db', db], options).code).toBe(0);
    }
    const inThread = await storedHashes(p('hash-thread.duckdb'));
    const inWorker = await storedHashes(p('hash-worker.duckdb'));
    expect(inThread.hashes).toHaveLength(52);
    expect(inThread.recomputed).toBe(52);
    expect(inWorker).toEqual(inThread);
  });
});

describe('verify --report', () => {
  it('checks a report written by evtrail report, and finds it edited', () => {
    expect(cli(['report', '--db', p('s.duckdb'), '--out', p('r.md')]).code).toBe(0);
    expect(cliJson(['verify', '--report', p('r.md')])).toMatchObject({ ok: true, problems: [] });
    fs.writeFileSync(p('r.md'), fs.readFileSync(p('r.md'), 'utf8').replace('50', '51'));
    const r = cli(['verify', '--report', p('r.md')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/report check failed/);
  });
});

describe('seal and verify --manifest', () => {
  it('a store as sealed is ok', () => {
    const v = cliJson(['verify', '--db', p('s.duckdb'), '--manifest', p('seal.json'), '--pubkey', p('audit-key.pub')]);
    expect(v).toMatchObject({ ok: true, seal: { signatureValid: true, grown: null, sealedEvents: 50 } });
    const seal = JSON.parse(fs.readFileSync(p('seal.json'), 'utf8'));
    expect(seal).toMatchObject({ format: 'evtrail-seal/2', chain: 'evtrail-chain/2', events: 50, lastSeq: 50, head: v.head, key: { algorithm: 'ed25519' } });
    expect(seal.sources[0]).toMatchObject({ uri: p('log.ndjson'), events: 50, bytes: fs.statSync(p('log.ndjson')).size });
    expect(seal.sealedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/);
  });

  it('a seal made when sealedAt had three digits still verifies, and shows its time as written', () => {
    // What evtrail wrote before every saved instant had nine digits: Date#toISOString, signed as is.
    const seal = JSON.parse(fs.readFileSync(p('seal.json'), 'utf8'));
    const { signature: _signature, ...rest } = seal;
    const old = { ...rest, sealedAt: '2026-11-30T12:00:00.123Z' };
    const signature = crypto.sign(null, Buffer.from(canonicalJsonOf(old)), crypto.createPrivateKey(fs.readFileSync(p('audit-key.pem')))).toString('base64');
    fs.writeFileSync(p('seal-ms.json'), JSON.stringify({ ...old, signature }));
    const v = cliJson(['verify', '--db', p('s.duckdb'), '--manifest', p('seal-ms.json'), '--pubkey', p('audit-key.pub')]);
    expect(v).toMatchObject({ ok: true, seal: { signatureValid: true, sealedAt: '2026-11-30T12:00:00.123Z', problems: [] } });
  });

  it('a seal made before evtrail-chain/2 (evtrail-seal/1: digests over the event hashes) is still checked', async () => {
    const seal = JSON.parse(fs.readFileSync(p('seal.json'), 'utf8'));
    // The seal as evtrail wrote it then: the block digest is the SHA-256 of the events' hashes (hex, seq order).
    const instance = await DuckDBInstance.create(p('s.duckdb'), { access_mode: 'READ_ONLY' });
    const conn = await instance.connect();
    const hashes = (await conn.runAndReadAll('SELECT hash FROM event_hashes ORDER BY seq')).getRows().map((r) => String(r[0]));
    conn.closeSync();
    instance.closeSync();
    const sha = (x: string) => crypto.createHash('sha256').update(x).digest('hex');
    const digest = sha(hashes.join(''));
    const link = sha(`${'0'.repeat(64)}${digest}:0:1:50:50`);
    const { signature: _signature, chain: _chain, ...rest } = seal;
    const old = { ...rest, format: 'evtrail-seal/1', head: link, blocks: [{ block: 0, firstSeq: 1, lastSeq: 50, events: 50, digest, link }] };
    const { canonicalJson } = await import('../../src/integrity/manifest.js');
    const signature = crypto.sign(null, Buffer.from(canonicalJson(old)), crypto.createPrivateKey(fs.readFileSync(p('audit-key.pem')))).toString('base64');
    fs.writeFileSync(p('seal-v1.json'), JSON.stringify({ ...old, signature }));
    expect(link).not.toBe(seal.head);

    const v = cliJson(['verify', '--db', p('s.duckdb'), '--manifest', p('seal-v1.json'), '--pubkey', p('audit-key.pub')]);
    expect(v).toMatchObject({ ok: true, seal: { signatureValid: true, grown: null, sealedEvents: 50, problems: [] } });
    // Grown since (its sealed block filled up with events after the seal): still ok.
    const grown = copyStore(p('s.duckdb'), p('v1-grown.duckdb'));
    fs.mkdirSync(p('g1'));
    fs.writeFileSync(p('g1/more.ndjson'), lines(51, 7));
    expect(cli(['ingest', p('g1/more.ndjson'), '--db', grown]).code).toBe(0);
    expect(cliJson(['verify', '--db', grown, '--manifest', p('seal-v1.json'), '--pubkey', p('audit-key.pub')]))
      .toMatchObject({ ok: true, events: 57, seal: { grown: { events: 7, firstSeq: 51, lastSeq: 57 }, problems: [] } });
    // The store's chain and hashes rewritten to match an edit: only the old seal tells, at its block.
    const db = copyStore(p('s.duckdb'), p('v1-rewritten.duckdb'));
    await forge(db, `UPDATE events SET type = 'OrderCancelled' WHERE seq = 12`, 'seq = 12');
    expect(cli(['verify', '--db', db]).code).toBe(0);
    const r = cli(['verify', '--db', db, '--manifest', p('seal-v1.json'), '--pubkey', p('audit-key.pub'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).problems).toEqual([expect.objectContaining({ kind: 'seal', seq: 1 })]);
    expect(JSON.parse(r.stdout).problems[0].message).toMatch(/block 0 \(seq 1–50\) differs from the seal: same number of events, other content/);
  });

  it('a seal in a chain format this evtrail does not know is refused in one line (exit 2)', () => {
    const seal = JSON.parse(fs.readFileSync(p('seal.json'), 'utf8'));
    fs.writeFileSync(p('seal-v9.json'), JSON.stringify({ ...seal, chain: 'evtrail-chain/9' }));
    const r = cli(['verify', '--db', p('s.duckdb'), '--manifest', p('seal-v9.json'), '--pubkey', p('audit-key.pub')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^evtrail: .*seal-v9\.json: chain format evtrail-chain\/9 is not one this evtrail knows \(evtrail-chain\/2\)\nhint: /);
  });

  it('a seal checked with another key fails with a clear line', () => {
    const r = cli(['verify', '--db', p('s.duckdb'), '--manifest', p('seal.json'), '--pubkey', p('other-key.pub')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/signature does not match .*other-key\.pub/);
  });

  it('a seal edited after signing fails', () => {
    const seal = JSON.parse(fs.readFileSync(p('seal.json'), 'utf8'));
    fs.writeFileSync(p('edited-seal.json'), JSON.stringify({ ...seal, events: 49 }));
    const r = cli(['verify', '--db', p('s.duckdb'), '--manifest', p('edited-seal.json'), '--pubkey', p('audit-key.pub')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/signature does not match/);
  });

  it('a store grown since its seal is checked incrementally: ok', () => {
    const db = copyStore(p('s.duckdb'), p('grown.duckdb'));
    // A second log after the seal (log.ndjson itself stays as it was for the other tests).
    fs.mkdirSync(p('g'));
    fs.writeFileSync(p('g/log.ndjson'), lines(1, 50) + lines(51, 30));
    expect(cli(['ingest', p('g/log.ndjson'), '--db', db]).code).toBe(0);
    const v = cliJson(['verify', '--db', db, '--manifest', p('seal.json'), '--pubkey', p('audit-key.pub')]);
    expect(v).toMatchObject({ ok: true, events: 130, seal: { grown: { events: 80, firstSeq: 51, lastSeq: 130 } } });
  });

  it('a store grown and edited before the sealed head is broken, at the edited seq', async () => {
    const db = copyStore(p('s.duckdb'), p('grown-edited.duckdb'));
    fs.appendFileSync(p('log.ndjson'), lines(51, 10));
    try {
      expect(cli(['ingest', p('log.ndjson'), '--db', db]).code).toBe(0);
    } finally {
      fs.writeFileSync(p('log.ndjson'), lines(1, 50));
    }
    await tamper(db, `UPDATE events SET type = 'OrderCancelled' WHERE seq = 12`);
    const r = cli(['verify', '--db', db, '--manifest', p('seal.json'), '--pubkey', p('audit-key.pub'), '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout);
    expect(v.problems.map((x: { kind: string; seq?: number }) => [x.kind, x.seq])).toEqual([['changed', 12], ['seal', 12]]);
    expect(v.seal.grown).toMatchObject({ firstSeq: 51, lastSeq: 60 });
  });

  it('names the sealed block when the store\'s own hashes and chain were rewritten to match', async () => {
    const db = copyStore(p('s.duckdb'), p('rewritten.duckdb'));
    // Delete an event and rebuild every hash and block from what is left, as a careful forger would.
    // (and the ingests and sources rows lowered to match: verify checks the counts they record).
    await forge(db, `DELETE FROM events WHERE seq = 30; DELETE FROM event_hashes;
      UPDATE events SET seq = seq - 1 WHERE seq > 30; UPDATE ingests SET last_seq = 49, events = 49; UPDATE sources SET events = 49`, 'TRUE');
    expect(cli(['verify', '--db', db]).code).toBe(0);
    const r = cli(['verify', '--db', db, '--manifest', p('seal.json'), '--pubkey', p('audit-key.pub'), '--json']);
    expect(r.code).toBe(1);
    const v = JSON.parse(r.stdout);
    expect(v.problems[0]).toMatchObject({ kind: 'seal', seq: 1 });
    expect(v.problems[0].message).toMatch(/block 0 \(seq 1–50\) differs from the seal: 1 event\(s\) fewer than sealed \(removed\).*seq 1–50/);
  });

  it('seal refuses a store that fails verification', async () => {
    const db = copyStore(p('s.duckdb'), p('broken.duckdb'));
    await tamper(db, `DELETE FROM events WHERE seq = 3`);
    const r = cli(['seal', '--db', db, '--key', p('audit-key.pem'), '--out', p('broken-seal.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not sealed: seq 3/);
    expect(fs.existsSync(p('broken-seal.json'))).toBe(false);
  });

  it('usage errors exit 2 with a hint', () => {
    const noKey = cli(['verify', '--db', p('s.duckdb'), '--manifest', p('seal.json')]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--manifest needs --pubkey/);
    const notSeal = cli(['verify', '--db', p('s.duckdb'), '--manifest', p('log.ndjson'), '--pubkey', p('audit-key.pub')]);
    expect(notSeal.code).toBe(2);
    const noFile = cli(['seal', '--db', p('s.duckdb'), '--key', p('nope.pem'), '--out', p('x.json')]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/hint:/);
  });
});

describe('verify --manifest --source: the files against the sealed SHA-256', () => {
  // A log of its own, so editing it in place does not disturb the other cases.
  const log = () => p('sealed-src/log.ndjson');
  const sha = (file: string, bytes: number) => crypto.createHash('sha256').update(fs.readFileSync(file).subarray(0, bytes)).digest('hex');
  const verifyArgs = (db: string) => ['verify', '--db', db, '--manifest', p('src-seal.json'), '--pubkey', p('audit-key.pub'), '--source', '--json'];
  /** Edits the log in place for fn, then puts it back as sealed. */
  async function withEdited(edit: (text: string) => string, fn: () => Promise<void>): Promise<void> {
    const before = fs.readFileSync(log(), 'utf8');
    fs.writeFileSync(log(), edit(before));
    try {
      await fn();
    } finally {
      fs.writeFileSync(log(), before);
    }
  }

  beforeAll(() => {
    fs.mkdirSync(p('sealed-src'));
    fs.writeFileSync(log(), lines(1, 40));
    expect(cli(['ingest', log(), '--db', p('src.sealed.duckdb')]).code).toBe(0);
    expect(cli(['seal', '--db', p('src.sealed.duckdb'), '--key', p('audit-key.pem'), '--out', p('src-seal.json')]).code).toBe(0);
  });

  it('an untouched file is ok against the seal', () => {
    const v = cliJson(verifyArgs(p('src.sealed.duckdb')));
    expect(v).toMatchObject({ ok: true, problems: [] });
    expect(v.sourceChecks).toEqual([expect.objectContaining({ uri: log(), status: 'ok', sinceSeal: 'ok' })]);
  });

  it('a file edited together with the store\'s sources row fails, naming the source and the line', async () => {
    const db = copyStore(p('src.sealed.duckdb'), p('src-forged.duckdb'));
    await withEdited((t) => t.replace('"qty":7}', '"qty":8}'), async () => {
      const bytes = fs.statSync(log()).size;
      await tamper(db, `UPDATE sources SET sha256 = '${sha(log(), bytes)}' WHERE uri = '${log()}'`);
      // Without the seal the forgery passes: the file matches the row it was edited with.
      expect(cli(['verify', '--db', db, '--source']).code).toBe(0);
      const r = cli(verifyArgs(db));
      expect(r.code).toBe(1);
      const v = JSON.parse(r.stdout);
      expect(v.problems).toContainEqual(expect.objectContaining({ kind: 'source-changed-since-seal', source: log(), seq: 7, id: 'evt-7' }));
      expect(v.problems.find((x: { kind: string }) => x.kind === 'source-changed-since-seal').message).toMatch(/first difference at line 7/);
      // The rewritten row is named too, and the file is not reported against the row it matches.
      expect(v.problems).toContainEqual(expect.objectContaining({ kind: 'seal', source: log(), message: expect.stringMatching(/another SHA-256 .* sources row was changed/) }));
      expect(v.problems.map((x: { kind: string }) => x.kind)).not.toContain('source-changed');
      expect(v.sourceChecks).toEqual([expect.objectContaining({ status: 'changed', sinceSeal: 'changed' })]);
      const text = cli(verifyArgs(db).filter((a) => a !== '--json'));
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(`source-changed-since-seal: ${log()}: its first`);
    });
  });

  it('a file appended and ingested since the seal is ok; an edit of its sealed prefix is not', async () => {
    const db = copyStore(p('src.sealed.duckdb'), p('src-grown.duckdb'));
    await withEdited((t) => t + lines(41, 20), async () => {
      expect(cli(['ingest', log(), '--db', db]).code).toBe(0);
      const v = cliJson(verifyArgs(db));
      expect(v).toMatchObject({ ok: true, events: 60, seal: { grown: { events: 20 } } });
      expect(v.sourceChecks).toEqual([expect.objectContaining({ status: 'ok', sinceSeal: 'ok' })]);
      // Now a sealed line edited, the row's hash (over its larger byte count) rewritten to match:
      // the row no longer has the sealed byte count, so only the sealed prefix of the file tells.
      await withEdited((t) => t.replace('"qty":3}', '"qty":4}'), async () => {
        const bytes = fs.statSync(log()).size;
        await tamper(db, `UPDATE sources SET sha256 = '${sha(log(), bytes)}' WHERE uri = '${log()}'`);
        const r = cli(verifyArgs(db));
        expect(r.code).toBe(1);
        const broken = JSON.parse(r.stdout);
        expect(broken.problems).toEqual([expect.objectContaining({ kind: 'source-changed-since-seal', source: log(), seq: 3, id: 'evt-3' })]);
      });
    });
  });

  it('a source ingested after the seal is not-sealed, not a problem', () => {
    const db = copyStore(p('src.sealed.duckdb'), p('src-newsource.duckdb'));
    fs.writeFileSync(p('sealed-src/later.ndjson'), lines(100, 5));
    expect(cli(['ingest', p('sealed-src/later.ndjson'), '--db', db]).code).toBe(0);
    const v = cliJson(verifyArgs(db));
    expect(v.ok).toBe(true);
    expect(v.sourceChecks.map((c: { sinceSeal: string }) => c.sinceSeal)).toEqual(['ok', 'not-sealed']);
  });
});
