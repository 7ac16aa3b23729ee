import crypto from 'node:crypto';
import type { Store } from '../store/store.js';
import { GENESIS } from './chain.js';
import type { IntegrityProblem } from './problem.js';

/**
 * What the event chain does not hold, checked against the store's own records (docs/integrity.md §3):
 *
 * - **Rejects** (`evtrail-rejects/1`): every ingests row (one per ingest and source) has a
 *   reject_digests row written in the same transaction: how many rejects that ingest wrote for
 *   that source, their positions, the SHA-256 of their records in position order, and a link
 *   chaining the rows in (ingest_id, source_id) order. `DELETE FROM rejects` (or an edited
 *   reject) no longer matches its digest; the digest rows deleted too no longer match the
 *   ingests rows, nor sources.rejects.
 * - **Counts and positions**: the events each ingests row recorded (its seq range and count),
 *   sources.events and sources.rejects, against the events and rejects there are. Deleting the
 *   last blocks with their hashes and chain rows leaves a chain that agrees with itself; the
 *   ingests rows still say where the store ended.
 *
 * Only a seal tells when all of these were rewritten consistently.
 */
export const REJECTS_FORMAT = 'evtrail-rejects/1';

/**
 * The reason of a file's incomplete last line (ingest.ts): a provisional reject that the next
 * ingest of the same file deletes when it reads the line again. It has a digest of its own
 * (held_digest), expected only while no later ingest of the source exists.
 */
export const HELD_BACK_REASON = 'incomplete last line (no newline at the end of the file): read again when the file grows';

/**
 * A reject's record, as one text: `source_pos ":" len(raw) "," len(reason) "\n" raw reason "\n"`
 * (byte lengths, `-` for a NULL raw), so no content can move from one field to the next.
 */
const REJECT_RECORD_SQL = `concat(source_pos::VARCHAR, ':', coalesce(strlen(raw)::VARCHAR, '-'), ',', strlen(reason)::VARCHAR, chr(10), coalesce(raw, ''), reason, chr(10))`;

/** Per (ingest_id, source_id): the rejects' count, positions and digests, as the rejects table holds them now. */
function rejectGroupsSql(where = 'TRUE'): string {
  return `SELECT ingest_id, source_id,
      count(*) FILTER (WHERE reason <> $held) AS rejects,
      count(*) FILTER (WHERE reason = $held) AS held_back,
      min(source_pos) FILTER (WHERE reason <> $held) AS first_pos,
      max(source_pos) FILTER (WHERE reason <> $held) AS last_pos,
      sha256(coalesce(string_agg(${REJECT_RECORD_SQL}, '' ORDER BY source_pos, reason, raw) FILTER (WHERE reason <> $held), '')) AS digest,
      sha256(string_agg(${REJECT_RECORD_SQL}, '' ORDER BY source_pos, raw) FILTER (WHERE reason = $held)) AS held_digest
    FROM rejects WHERE ${where} GROUP BY ingest_id, source_id`;
}

export interface RejectGroup {
  ingestId: number;
  sourceId: number;
  rejects: number;
  heldBack: number;
  firstPos: number | null;
  lastPos: number | null;
  digest: string;
  heldDigest: string | null;
  link: string;
}

const EMPTY_DIGEST = crypto.createHash('sha256').update('').digest('hex');

export function rejectLinkOf(prev: string, g: Omit<RejectGroup, 'link'>): string {
  return crypto.createHash('sha256')
    .update(`${prev}${g.digest}:${g.ingestId}:${g.sourceId}:${g.rejects}:${g.heldBack}:${g.heldDigest ?? '-'}`).digest('hex');
}

function toGroup(r: Record<string, unknown>): Omit<RejectGroup, 'link'> {
  return {
    ingestId: Number(r.ingest_id), sourceId: Number(r.source_id), rejects: Number(r.rejects ?? 0), heldBack: Number(r.held_back ?? 0),
    firstPos: r.first_pos === null || r.first_pos === undefined ? null : Number(r.first_pos),
    lastPos: r.last_pos === null || r.last_pos === undefined ? null : Number(r.last_pos),
    digest: r.digest === null || r.digest === undefined ? EMPTY_DIGEST : String(r.digest),
    heldDigest: r.held_digest === null || r.held_digest === undefined ? null : String(r.held_digest),
  };
}

/**
 * The ingest hook, inside the ingest's transaction once its ingests rows are in: one
 * reject_digests row per ingests row of this ingest, linked onto the last one.
 */
export async function chainRejects(store: Store, ingestId: number): Promise<void> {
  if (process.env.EVTRAIL_BENCH_NO_CHAIN === '1') return;
  const rows = await store.all(`SELECT i.ingest_id, i.source_id, g.rejects, g.held_back, g.first_pos, g.last_pos, g.digest, g.held_digest
    FROM (SELECT DISTINCT ingest_id, source_id FROM ingests WHERE ingest_id = ${ingestId}) i
    LEFT JOIN (${rejectGroupsSql(`ingest_id = ${ingestId}`)}) g USING (ingest_id, source_id) ORDER BY i.source_id`, { held: HELD_BACK_REASON });
  const last = (await store.all(`SELECT link FROM reject_digests WHERE ingest_id < ${ingestId} ORDER BY ingest_id DESC, source_id DESC LIMIT 1`))[0];
  await insertRejectGroups(store, linkRejectGroups(rows.map(toGroup), last ? String(last.link) : GENESIS));
}

/** Migration v6: the reject digests of a store written before them, from its rejects as they are now. */
export async function buildRejectChain(store: Store): Promise<void> {
  const rows = await store.all(`SELECT i.ingest_id, i.source_id, g.rejects, g.held_back, g.first_pos, g.last_pos, g.digest, g.held_digest
    FROM (SELECT DISTINCT ingest_id, source_id FROM ingests) i
    LEFT JOIN (${rejectGroupsSql()}) g USING (ingest_id, source_id) ORDER BY i.ingest_id, i.source_id`, { held: HELD_BACK_REASON });
  await insertRejectGroups(store, linkRejectGroups(rows.map(toGroup)));
}

export function linkRejectGroups(groups: readonly Omit<RejectGroup, 'link'>[], prev = GENESIS): RejectGroup[] {
  let link = prev;
  return groups.map((g) => {
    link = rejectLinkOf(link, g);
    return { ...g, link };
  });
}

async function insertRejectGroups(store: Store, groups: readonly RejectGroup[]): Promise<void> {
  const n = (v: number | null) => (v === null ? 'NULL' : String(v));
  for (let i = 0; i < groups.length; i += 500) {
    const part = groups.slice(i, i + 500);
    await store.run(`INSERT INTO reject_digests VALUES ${part.map((g) =>
      `(${g.ingestId}, ${g.sourceId}, ${g.rejects}, ${g.heldBack}, ${n(g.firstPos)}, ${n(g.lastPos)}, '${g.digest}', ${g.heldDigest === null ? 'NULL' : `'${g.heldDigest}'`}, '${g.link}')`).join(', ')}`);
  }
}

/** The stored reject chain, in link order. */
export async function storedRejectGroups(store: Store): Promise<RejectGroup[]> {
  const rows = await store.all(`SELECT * FROM reject_digests ORDER BY ingest_id, source_id`);
  return rows.map((r) => ({ ...toGroup(r), digest: String(r.digest), link: String(r.link) }));
}

/** The reject chain's head (the last link), GENESIS for none: what a seal records. */
export async function rejectChainHead(store: Store): Promise<{ groups: number; head: string }> {
  const stored = await storedRejectGroups(store);
  return { groups: stored.length, head: stored.at(-1)?.link ?? GENESIS };
}

const lines = (from: number | null, to: number | null) => (from === null ? '' : from === to ? ` (line/position ${from})` : ` (lines/positions ${from}–${to})`);

/** The reject chain against the rejects table and the ingests rows: what is missing, changed or added. */
export async function checkRejects(store: Store, uriOf: (sourceId: number) => string): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  const stored = await storedRejectGroups(store);
  const now = new Map<string, Omit<RejectGroup, 'link'>>((await store.all(rejectGroupsSql(), { held: HELD_BACK_REASON })).map((r) => {
    const g = toGroup(r);
    return [`${g.ingestId}:${g.sourceId}`, g] as const;
  }));
  const anchors = await store.all(`SELECT ingest_id, source_id, rejects FROM ingests ORDER BY ingest_id, source_id`);
  const storedByKey = new Map(stored.map((g) => [`${g.ingestId}:${g.sourceId}`, g]));
  const who = (ingestId: number, sourceId: number) => `ingest ${ingestId} of ${uriOf(sourceId)}`;
  // Links: the stored chain agrees with itself.
  const relinked = linkRejectGroups(stored);
  const broken = stored.findIndex((g, i) => relinked[i]!.link !== g.link);
  if (broken >= 0) {
    const g = stored[broken]!;
    problems.push({ kind: 'rejects', source: uriOf(g.sourceId), message: `${who(g.ingestId, g.sourceId)}: its stored reject digest's link does not follow from the ones before it: the reject_digests table was edited` });
  }
  // Every ingests row has its digest row, and they agree on the count.
  for (const a of anchors) {
    const ingestId = Number(a.ingest_id);
    const sourceId = Number(a.source_id);
    const g = storedByKey.get(`${ingestId}:${sourceId}`);
    if (!g) {
      problems.push({ kind: 'rejects', source: uriOf(sourceId), message: `${who(ingestId, sourceId)}: its reject digest is missing (the reject_digests row was deleted), so its ${a.rejects} reject(s) cannot be checked` });
    } else if (g.rejects + g.heldBack !== Number(a.rejects)) {
      problems.push({ kind: 'rejects', source: uriOf(sourceId), message: `${who(ingestId, sourceId)}: the ingests row records ${a.rejects} reject(s), its reject digest ${g.rejects + g.heldBack}: one of them was edited` });
    }
  }
  const anchorKeys = new Set<string>(anchors.map((a) => `${a.ingest_id}:${a.source_id}`));
  const laterIngest = (g: RejectGroup) => anchors.some((a) => Number(a.source_id) === g.sourceId && Number(a.ingest_id) > g.ingestId);
  for (const g of stored) {
    const key = `${g.ingestId}:${g.sourceId}`;
    if (!anchorKeys.has(key)) {
      problems.push({ kind: 'rejects', source: uriOf(g.sourceId), message: `${who(g.ingestId, g.sourceId)}: a reject digest without its ingests row (the ingests row was deleted)` });
    }
    const cur = now.get(key);
    const count = cur?.rejects ?? 0;
    const digest = cur?.digest ?? EMPTY_DIGEST;
    if (count < g.rejects) {
      problems.push({ kind: 'rejects', source: uriOf(g.sourceId), message: `${who(g.ingestId, g.sourceId)}: ${g.rejects - count} of its ${g.rejects} reject(s)${lines(g.firstPos, g.lastPos)} are missing (deleted from the rejects table)` });
    } else if (count > g.rejects) {
      problems.push({ kind: 'rejects', source: uriOf(g.sourceId), message: `${who(g.ingestId, g.sourceId)}: ${count - g.rejects} reject(s) more than it wrote (inserted into the rejects table)${lines(cur?.firstPos ?? null, cur?.lastPos ?? null)}` });
    } else if (digest !== g.digest) {
      problems.push({ kind: 'rejects', source: uriOf(g.sourceId), message: `${who(g.ingestId, g.sourceId)}: its ${g.rejects} reject(s)${lines(g.firstPos, g.lastPos)} were changed (their digest differs)` });
    }
    // The provisional reject of an incomplete last line: kept until the next ingest of the source.
    const held = cur?.heldBack ?? 0;
    if (g.heldBack > 0 && held === 0 && !laterIngest(g)) {
      problems.push({ kind: 'rejects', source: uriOf(g.sourceId), message: `${who(g.ingestId, g.sourceId)}: its held-back incomplete last line (a reject) is missing` });
    } else if (held > 0 && (g.heldBack === 0 || cur?.heldDigest !== g.heldDigest)) {
      problems.push({ kind: 'rejects', source: uriOf(g.sourceId), message: `${who(g.ingestId, g.sourceId)}: its held-back incomplete last line (a reject) was ${g.heldBack === 0 ? 'inserted' : 'changed'}` });
    }
  }
  for (const [key, cur] of now) {
    if (!storedByKey.has(key)) {
      problems.push({ kind: 'rejects', source: uriOf(cur.sourceId), message: `${cur.rejects + cur.heldBack} reject(s) of ${uriOf(cur.sourceId)} name ingest ${cur.ingestId}, which has no reject digest (inserted into the rejects table)${lines(cur.firstPos, cur.lastPos)}` });
    }
  }
  // sources.rejects is the source's count of rejects, written at each ingest.
  for (const r of await store.all(`SELECT s.source_id, s.rejects AS recorded, (SELECT count(*) FROM rejects x WHERE x.source_id = s.source_id) AS now FROM sources s ORDER BY s.source_id`)) {
    if (Number(r.recorded) !== Number(r.now)) {
      const sourceId = Number(r.source_id);
      problems.push({ kind: 'rejects', source: uriOf(sourceId), message: `${uriOf(sourceId)}: the sources row records ${r.recorded} reject(s), the rejects table holds ${r.now}` });
    }
  }
  return problems;
}

/**
 * The counts and seq ranges the ingests and sources rows recorded, against the events: an
 * ingest's seq range that lost or gained events, a store that ends before the last seq an
 * ingest wrote (the tail deleted with its hashes and chain rows), a source's event count.
 */
export async function checkCounts(store: Store, uriOf: (sourceId: number) => string): Promise<IntegrityProblem[]> {
  const problems: IntegrityProblem[] = [];
  const end = (await store.all(`SELECT coalesce(max(seq), 0) AS last, count(*) AS n FROM events`))[0]!;
  const storeLast = Number(end.last);
  const recorded = (await store.all(`SELECT ingest_id, source_id, last_seq FROM ingests WHERE last_seq IS NOT NULL ORDER BY last_seq DESC, ingest_id DESC LIMIT 1`))[0];
  if (recorded && Number(recorded.last_seq) > storeLast) {
    const first = storeLast + 1;
    problems.push({
      kind: 'truncated', seq: first,
      message: `the store ends at seq ${storeLast}, but ingest ${recorded.ingest_id} of ${uriOf(Number(recorded.source_id))} wrote events up to seq ${recorded.last_seq}: seq ${first}–${recorded.last_seq} are missing (deleted with their hashes and chain blocks)`,
    });
  }
  // Each ingest's range: as many events of its source as it wrote, and no other source's.
  const ranges = await store.all(`
    WITH r AS (SELECT ingest_id, source_id, first_seq, last_seq, events FROM ingests WHERE events > 0 AND last_seq <= ${storeLast}),
    c AS (SELECT r.ingest_id, r.source_id, count(e.seq) AS n, count(e.seq) FILTER (WHERE e.source_id = r.source_id) AS own
      FROM r LEFT JOIN events e ON e.seq BETWEEN r.first_seq AND r.last_seq GROUP BY ALL)
    SELECT r.*, c.n, c.own FROM r JOIN c USING (ingest_id, source_id)
    WHERE c.n <> r.events OR c.own <> r.events OR r.last_seq - r.first_seq + 1 <> r.events
    ORDER BY r.first_seq LIMIT 20`);
  for (const r of ranges) {
    const where = `seq ${r.first_seq}–${r.last_seq}`;
    problems.push({
      kind: 'count', seq: Number(r.first_seq), source: uriOf(Number(r.source_id)),
      message: `ingest ${r.ingest_id} of ${uriOf(Number(r.source_id))} wrote ${r.events} event(s) at ${where}; there are now ${r.n}${Number(r.own) !== Number(r.n) ? ` (${r.own} of that source)` : ''}`,
    });
  }
  // Events outside every ingest's range (past the last one written).
  const beyond = (await store.all(`SELECT min(seq) AS first, count(*) AS n FROM events WHERE seq > (SELECT coalesce(max(last_seq), 0) FROM ingests)`))[0]!;
  if (Number(beyond.n) > 0) {
    problems.push({ kind: 'count', seq: Number(beyond.first), message: `${beyond.n} event(s) from seq ${beyond.first} are past the last seq any ingest wrote (inserted)` });
  }
  for (const s of await store.all(`SELECT s.source_id, s.events AS recorded, (SELECT count(*) FROM events e WHERE e.source_id = s.source_id) AS now,
      (SELECT coalesce(sum(events), 0) FROM ingests i WHERE i.source_id = s.source_id) AS ingested FROM sources s ORDER BY s.source_id`)) {
    const sourceId = Number(s.source_id);
    if (Number(s.recorded) !== Number(s.now) || Number(s.ingested) !== Number(s.now)) {
      problems.push({ kind: 'count', source: uriOf(sourceId), message: `${uriOf(sourceId)}: the sources row records ${s.recorded} event(s), its ingests ${s.ingested}, the store holds ${s.now}` });
    }
  }
  return problems;
}

/** Columns of `events` that neither the chain nor these checks cover: verify says so in its output. */
export const NOT_COVERED = ['source_pos', 'position', 'content_hash', 'dup_of', 'dup_kind'] as const;
export const NOT_COVERED_NOTE = `not covered by the chain: ${NOT_COVERED.join(', ')} (an event's provenance and derived duplicate marks; an edit of them alone passes verify; verify --source checks source_pos of file sources and position of event stores)`;
