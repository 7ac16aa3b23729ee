import type { EnvelopeField } from '../../core/envelope.js';
import { UserError } from '../../core/errors.js';
import { getStorePreset } from '../presets/index.js';
import type { Preset } from '../presets/preset.js';
import type { StoreSource } from './ingest-store.js';
import { PG_PRESETS, pgLayout } from './layouts.js';

const NATS_PRESETS = ['canonical', 'cloudevents'];

export interface StoreSourceFlags {
  preset?: string;
  schema?: string;
  table?: string;
  stream?: string;
  subject?: string;
  since?: string;
  map: Partial<Record<EnvelopeField, string>>;
  /** Read again and again (watch): JetStream keeps one consumer for all the reads (nats-follow.ts). */
  follow?: boolean;
}

/** The source behind a postgres:// or nats:// argument; checked before the store is opened. */
export async function openStoreSource(url: string, flags: StoreSourceFlags): Promise<StoreSource> {
  const scheme = url.slice(0, url.indexOf('://')).toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    for (const [flag, value] of [['--stream', flags.stream], ['--subject', flags.subject], ['--since', flags.since]] as const) {
      if (value !== undefined) throw new UserError(`${flag} is for nats:// sources`, 'a PostgreSQL store is read with --preset, --schema and --table');
    }
    if (!flags.preset) {
      throw new UserError(`${url.split('@').pop()}: which event store layout?`, `pass --preset ${PG_PRESETS.join('|')}`);
    }
    const preset = getStorePreset(flags.preset, PG_PRESETS);
    const layout = pgLayout(preset.name, { schema: flags.schema, table: flags.table, positionColumn: flags.map.position });
    const { pgTarget, readPostgres } = await import('./postgres.js');
    const target = pgTarget(url, layout);
    return {
      kind: 'postgres', uri: target.uri, displayName: target.uri, preset, map: flags.map,
      settings: { schema: layout.schema, table: layout.table },
      resolveCausation: layout.resolveCausation, reportGaps: true,
      read: (store, from, progress) => readPostgres(store, target, layout, from, progress),
    };
  }
  if (scheme === 'nats') {
    for (const [flag, value] of [['--schema', flags.schema], ['--table', flags.table]] as const) {
      if (value !== undefined) throw new UserError(`${flag} is for postgres:// sources`, 'a JetStream stream is read with --stream, --subject and --since');
    }
    const base = getStorePreset(flags.preset ?? 'canonical', NATS_PRESETS);
    const { natsPreset, natsTarget, readNats } = await import('./nats.js');
    const target = natsTarget(url, flags.stream, flags.subject, flags.since);
    // The stream sequence is the position, whatever the payload says; the subject, the server's
    // time and the headers are kept (nats.ts).
    const preset = natsPreset(base);
    if (flags.follow) {
      const { NatsFollower } = await import('./nats-follow.js');
      const follower = new NatsFollower(target, preset);
      return {
        kind: 'nats', uri: target.uri, displayName: target.uri, preset, map: flags.map,
        settings: { stream: target.stream, subject: target.subject ?? null }, reportGaps: !target.subject && !target.since,
        read: (store, from) => follower.read(store, from.checkpoint),
        close: () => follower.close(),
      };
    }
    return {
      kind: 'nats', uri: target.uri, displayName: target.uri, preset, map: flags.map,
      settings: { stream: target.stream, subject: target.subject ?? null }, reportGaps: !target.subject && !target.since,
      read: (store, from, progress) => readNats(store, target, preset, from.checkpoint, progress),
    };
  }
  throw new UserError(`${scheme}:// is not an event store evtrail reads`, 'postgres://… or nats://…');
}
