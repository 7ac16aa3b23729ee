import type { Preset } from './preset.js';

/**
 * Message DB (message-db/message-db), table `message_store.messages`: one JSON record per row
 * (global_position, position, time, stream_name, type, data, metadata, id). `time` is UTC
 * without an offset. The correlation is the metadata's correlationStreamName; the causation
 * (causationMessageStreamName / …Position / …GlobalPosition) names the causing message by
 * position, and is resolved to that message's id after mapping (stores/causation.ts).
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
    schema_version: ['metadata.schemaVersion', 'metadata.schema_version'],
    ts: ['time'],
    correlation_id: ['metadata.correlationStreamName'],
    source: ['metadata.source'],
    data: ['data'],
    meta: ['metadata'],
    position: ['global_position'],
  },
};
