import { candidatesExpr } from '../mapping.js';
import type { Preset } from './preset.js';

const SCHEMA_VERSION = ['metadata.schemaVersion', 'metadata.schema_version'];

/**
 * Message DB (message-db/message-db), table `message_store.messages`: one JSON record per row
 * (global_position, position, time, stream_name, type, data, metadata, id). `time` is UTC
 * without an offset. The correlation is the metadata's correlationStreamName; the causation
 * (causationMessageStreamName / …Position / …GlobalPosition) names the causing message by
 * position, and is resolved to that message's id after mapping (stores/causation.ts).
 * Eventide writes schemaVersion as a string: a whole number ("2") is the schema version; any
 * other text ("1.1") leaves the version unset (1) and stays in meta, with the whole metadata.
 */
export const messagedbPreset: Preset = {
  name: 'messagedb',
  description: 'Message DB (message_store.messages), read from PostgreSQL',
  required: ['id', 'type', 'ts', 'stream', 'position'],
  candidates: {
    id: ['id'],
    stream: ['stream_name'],
    rev: ['position'],
    type: ['type'],
    schema_version: SCHEMA_VERSION,
    ts: ['time'],
    correlation_id: ['metadata.correlationStreamName'],
    source: ['metadata.source'],
    data: ['data'],
    meta: ['metadata'],
    position: ['global_position'],
  },
  expressions(access) {
    const version = candidatesExpr(access, 'schema_version', SCHEMA_VERSION);
    return { schema_version: `CASE WHEN regexp_full_match(${version}, '[0-9]{1,9}') THEN ${version} END` };
  },
};
