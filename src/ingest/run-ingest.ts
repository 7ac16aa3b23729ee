import { INTERRUPT_EXIT, interruptStatements } from '../core/interrupt.js';
import { UserError } from '../core/errors.js';
import { Store, removeStoreFiles, storeExists } from '../store/store.js';
import { CONFIG_FILE, checkPath, checkSql, configMap, eachList, loadConfig, parseMapArgs, type IngestConfig } from './config.js';
import { checkTimeZone } from '../core/time-zone.js';
import { parseFormat } from './formats.js';
import { ingestFiles, type IngestSummary } from './ingest.js';
import { getPreset, type Preset } from './presets/index.js';
import { isStoreUrl, type HashState } from './sources.js';
import { startProgress } from '../store/progress.js';
import type { StoreSource } from './stores/ingest-store.js';
import { resolveVocabulary, type Vocabulary } from '../packs/vocabulary-map.js';

/** The ingest command's options, as commander parses them (src/cli/commands/ingest.ts). */
export interface IngestFlags {
  db: string;
  format?: string;
  preset?: string;
  map: string[];
  each?: string[];
  skip?: string;
  date?: string;
  symbol?: string;
  tz?: string;
  strict?: boolean;
  config?: string;
  schema?: string;
  table?: string;
  stream?: string;
  subject?: string;
  since?: string;
  json?: boolean;
  quiet?: boolean;
}

async function isEmptyStore(store: Store): Promise<boolean> {
  try {
    const rows = await store.all(`SELECT (SELECT count(*) FROM sources) + (SELECT count(*) FROM events) AS n`);
    return Number(rows[0]?.n) === 0;
  } catch {
    return false;
  }
}

/**
 * --symbol and --tz (or the config's symbol and tz): for a preset whose times are a market's
 * wall clock (LOBSTER) only; the zone is checked here, before the store is opened.
 */
function marketOptions(preset: Preset | undefined, flags: IngestFlags, config: IngestConfig): { symbol?: string; timeZone?: string } {
  const symbol = flags.symbol ?? config.symbol;
  const tz = flags.tz ?? config.tz;
  const where = (flag: string) => (flags[flag as 'tz' | 'symbol'] !== undefined ? `--${flag}` : `${CONFIG_FILE}: ${flag}`);
  if (tz !== undefined && !preset?.marketTimeZone) {
    throw new UserError(`${where('tz')} is for presets whose times are an exchange's clock (lobster)`, 'other sources carry their own offsets; a time without one is UTC');
  }
  if (symbol !== undefined && preset?.name !== 'lobster') throw new UserError(`${where('symbol')} is for LOBSTER files (--preset lobster)`, 'other sources carry their symbols in their events');
  if (symbol !== undefined && !/^[A-Za-z0-9.^-]+$/.test(symbol)) throw new UserError(`--symbol ${symbol}: expected a ticker (letters, digits, . ^ -)`, 'e.g. --symbol AMZN');
  return { symbol, timeZone: tz === undefined ? undefined : checkTimeZone(tz, where('tz')) };
}

/** Thrown from the progress callback to stop an ingest between two steps. */
class Interrupted extends Error {}

/** What the store holds, read before the ingest and after an interrupt: did a commit go through? */
interface StoreMark {
  ingest: number;
  events: number;
  lastSeq: number;
  rejects: number;
}

async function storeMark(store: Store): Promise<StoreMark> {
  const r = (await store.all(`SELECT (SELECT coalesce(max(ingest_id), 0) FROM ingests) AS ingest, (SELECT count(*) FROM events) AS events,
    (SELECT coalesce(max(seq), 0) FROM events) AS last_seq, (SELECT count(*) FROM rejects) AS rejects`))[0]!;
  return { ingest: Number(r.ingest), events: Number(r.events), lastSeq: Number(r.last_seq), rejects: Number(r.rejects) };
}

/**
 * The interrupt as it happened: a signal during the COMMIT may land after DuckDB committed (the
 * statement then still reports the interrupt), and an event store's ingest commits part by part;
 * so the store is read again and what it holds decides the message, not where the signal fell.
 */
function interruptedError(signal: 'SIGINT' | 'SIGTERM', before: StoreMark | undefined, after: StoreMark | undefined): UserError {
  const code = INTERRUPT_EXIT[signal];
  if (before === undefined) return new UserError('interrupted before the store was opened: nothing was ingested', 'run the same command again', code);
  if (after === undefined) {
    return new UserError('interrupted, and the store could not be read again to tell whether the ingest was committed',
      'run evtrail info to see what the store holds; running the same command again ingests only what is not in it', code);
  }
  if (after.ingest === before.ingest) return new UserError('interrupted: nothing was ingested, the store is as it was', 'run the same command again', code);
  const events = after.events - before.events;
  const rejects = after.rejects - before.rejects;
  return new UserError(
    `interrupted, but the ingest had been committed: ${events} event(s)${events > 0 ? ` (seq ${before.lastSeq + 1}–${after.lastSeq})` : ''}` +
      `${rejects > 0 ? ` and ${rejects} reject(s)` : ''} are in the store`,
    'evtrail info shows them; running the same command again ingests only what is not in the store yet (an event store goes on from its last committed part)',
    code,
  );
}

/** An ingest's summary, with the vocabulary mapping it resolved (when the config has one). */
export type IngestedSummary = IngestSummary & { vocabulary?: Pick<Vocabulary, 'types' | 'fields' | 'automatic'> };

/** An ingest made ready: its settings checked, its source opened; `run` reads what is new into a store. */
export interface IngestJob {
  /** The event store read, when the source is one (postgres://, nats://). */
  storeSource?: StoreSource;
  /** Reads what is new; `only` (files) limits the run to some of the sources given. */
  run(store: Store, progress?: (message: string) => void, only?: readonly string[]): Promise<IngestedSummary>;
  /** Ends what a followed source keeps open between runs (a JetStream consumer). */
  close(): Promise<void>;
}

/**
 * Settings from config and flags, checked before any store is opened (an unknown preset, a bad
 * --date, a flag for the other kind of source), and the source opened. `ingest` runs the job
 * once; `watch` runs it again and again, each run reading only what is new.
 */
export async function prepareIngest(sources: string[], flags: IngestFlags, mode: { follow?: boolean } = {}): Promise<IngestJob> {
  const config = loadConfig(flags.config ?? CONFIG_FILE, flags.config !== undefined);
  // A vocabulary naming a type no pack has: refused before anything is read.
  if (config.vocabulary) {
    try {
      resolveVocabulary(config.vocabulary, [], []);
    } catch (error) {
      if (error instanceof UserError) throw new UserError(`${flags.config ?? CONFIG_FILE}: ${error.message}`, error.hint);
      throw error;
    }
  }
  const storeUrl = sources.find(isStoreUrl);
  const map = { ...configMap(config), ...parseMapArgs(flags.map) };
  // --each and --skip replace the config's (a list given on the command line is the whole list).
  const each = flags.each?.length ? flags.each : eachList(config.each);
  for (const p of each) checkPath(p, `--each ${p}`);
  const skip = flags.skip ?? config.skip;
  if (skip !== undefined) checkSql(skip, `--skip ${skip}`);
  let storeSource: StoreSource | undefined;
  if (storeUrl) {
    if (sources.length > 1) throw new UserError('an event store is ingested on its own', `run one evtrail ingest for ${storeUrl.split('@').pop()} and another for the rest`);
    if (flags.format !== undefined) throw new UserError('--format is for files', 'an event store is read with --preset');
    if (each.length || skip !== undefined) throw new UserError('--each and --skip are for files', 'an event store\'s rows are mapped one to one');
    if (map.id === 'none') throw new UserError('--map id=none is for files', 'an event store\'s rows have ids: map one with --map id=column');
    const { openStoreSource } = await import('./stores/open.js');
    storeSource = await openStoreSource(storeUrl, { ...flags, preset: flags.preset ?? config.preset, map, follow: mode.follow });
  } else {
    for (const [flag, value] of [['--stream', flags.stream], ['--subject', flags.subject], ['--since', flags.since], ['--schema', flags.schema], ['--table', flags.table]] as const) {
      if (value !== undefined) throw new UserError(`${flag} is for event-store sources (postgres://, nats://)`, 'files are read with --format, --preset and --map');
    }
  }
  const presetName = flags.preset ?? config.preset ?? 'canonical';
  if (!storeSource) getPreset(presetName); // unknown preset: fail before opening anything
  const formatName = flags.format ?? config.format;
  const format = formatName && !storeSource ? parseFormat(formatName) : undefined;
  const date = flags.date ?? config.date;
  if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UserError(`--date ${date}: expected YYYY-MM-DD`, 'e.g. --date 2012-06-21');
  const { symbol, timeZone } = marketOptions(storeSource ? undefined : getPreset(presetName), flags, config);

  // The files' hash states between runs (a watch hashes only what each batch adds).
  const hashStates = new Map<string, HashState & { sha256: string }>();
  return {
    ...(storeSource ? { storeSource } : {}),
    close: async () => {
      await storeSource?.close?.();
    },
    run: async (store, progress, only) => {
      let summary: IngestedSummary;
      if (storeSource) {
        const { ingestStore } = await import('./stores/ingest-store.js');
        summary = await ingestStore(store, storeSource, { strict: flags.strict, progress });
      } else {
        summary = await ingestFiles(store, { sources: only ?? sources, preset: presetName, map, each, skip, date, symbol, timeZone, strict: flags.strict, format, progress, hashStates });
      }
      // The vocabulary mapping, resolved against what the store now holds (src/ingest/vocabulary.ts).
      const { keepVocabulary } = await import('./vocabulary.js');
      const vocabulary = await keepVocabulary(store, config.vocabulary);
      if (vocabulary) summary = { ...summary, vocabulary: { types: vocabulary.types, fields: vocabulary.fields, automatic: vocabulary.automatic } };
      return summary;
    },
  };
}

/** `evtrail ingest`'s settings: the flags (less the output's) and whether to show progress. */
export type IngestOptions = Omit<IngestFlags, 'json' | 'quiet'> & {
  /** The step and how far its statement is, on stderr on a terminal (not with --quiet or --json). */
  progress: boolean;
};

/** What an ingest did, for ./render.ts; `lateSignal`: a signal that came after the commit. */
export interface IngestAnswer {
  db: string;
  summary: IngestedSummary;
  lateSignal?: 'SIGINT' | 'SIGTERM';
}

/**
 * The ingest command's body: settings from config and flags, one store, one summary.
 * Everything that can be checked without the store is checked before it is opened; a store
 * this run created is removed again when the ingest fails, so a failed ingest never leaves a
 * store behind (an existing one is rolled back by ingestFiles' transaction).
 */
export async function runIngest(sources: string[], flags: IngestOptions): Promise<IngestAnswer> {
  const job = await prepareIngest(sources, flags);
  // Ctrl-C: stop the running DuckDB statement, or the ingest at its next step; the
  // transaction is rolled back and the store is as it was.
  let store: Store | undefined;
  const interrupt = interruptStatements(() => store);
  const existed = storeExists(flags.db);
  let created = false;
  let ok = false;
  let before: StoreMark | undefined;
  let summary: IngestedSummary;
  try {
    // Ingest holds more than DuckDB's buffers (staged parts, the hash chain's aggregates, Node's
    // own heap): with 1200MB a 10M-event ingest peaked at 2.18 GB RSS, with 800MB at 1.43 GB and
    // no slower (bench/ingest.bench.mjs --large).
    store = await Store.open(flags.db, { create: true, memoryLimit: '800MB' });
    created = !existed;
    before = await storeMark(store);
    const progress = flags.progress ? await startProgress(store) : undefined;
    try {
      if (interrupt.signal) throw new Interrupted();
      // EVTRAIL_TIMINGS=1: each step's start on stderr (ms since open, and this process's CPU
      // time so far, all threads), for profiling an ingest.
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const timings = process.env.EVTRAIL_TIMINGS === '1';
      const onProgress = (message: string) => {
        if (interrupt.signal) throw new Interrupted();
        if (timings) {
          const cpu = process.cpuUsage(cpu0);
          process.stderr.write(`[${(performance.now() - t0).toFixed(0)} ms, cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms] ${message}\n`);
        }
        progress?.step(message);
      };
      summary = await job.run(store, onProgress);
    } finally {
      progress?.stop();
    }
    ok = true;
  } catch (error) {
    if (interrupt.signal || error instanceof Interrupted || /INTERRUPT/i.test(String((error as Error)?.message))) {
      const after = store && before ? await storeMark(store).catch(() => undefined) : undefined;
      throw interruptedError(interrupt.signal ?? 'SIGINT', before, after);
    }
    throw error;
  } finally {
    interrupt.release();
    // Removed only when it holds nothing: never a store another run filled meanwhile.
    const remove = !ok && created && store !== undefined && (await isEmptyStore(store));
    store?.close();
    if (remove) removeStoreFiles(flags.db);
  }

  // A signal that came once the ingest was done (its COMMIT had gone through): the summary is
  // shown, then the interrupt's exit code, with the truth (lateInterrupt).
  return { db: flags.db, summary, ...(interrupt.signal ? { lateSignal: interrupt.signal } : {}) };
}

/** The error to exit with after the summary when a signal came once the ingest was committed. */
export function lateInterrupt(answer: IngestAnswer): UserError | undefined {
  if (!answer.lateSignal) return undefined;
  return new UserError(`interrupted, but the ingest had been committed: ${answer.summary.ingested} event(s) are in the store`, 'nothing to run again', INTERRUPT_EXIT[answer.lateSignal]);
}
