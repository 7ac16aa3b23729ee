import type { Preset } from './preset.js';

const META = ['meta', 'metadata', 'headers'];
const inMeta = (...keys: string[]) => META.flatMap((m) => keys.map((k) => `${m}.${k}`));

/**
 * The usual spellings of the envelope fields in the wild (docs/architecture.md §2): evtrail's own names,
 * camelCase, snake_case, EventStoreDB's $correlationId/$causationId, Message DB / Emmett /
 * Marten column names; correlation and causation ids at top level or inside the metadata.
 */
export const canonicalPreset: Preset = {
  name: 'canonical',
  description: 'evtrail envelope and the usual aliases (eventId, aggregateId, occurredAt, payload, metadata …)',
  required: ['id', 'type', 'ts'],
  candidates: {
    id: ['id', 'eventId', 'event_id', 'messageId', 'message_id', 'uuid'],
    stream: ['stream', 'streamId', 'stream_id', 'aggregateId', 'aggregate_id', 'stream_name', 'streamName'],
    rev: ['rev', 'revision', 'version', 'stream_position', 'streamPosition', 'stream_version', 'streamVersion'],
    type: ['type', 'eventType', 'event_type', 'messageType', 'message_type'],
    schema_version: ['schema_version', 'schemaVersion', ...inMeta('schema_version', 'schemaVersion')],
    ts: ['ts', 'occurredAt', 'occurred_at', 'timestamp', 'time', 'createdAt', 'created_at', 'created'],
    recorded_ts: ['recorded_ts', 'recordedAt', 'recorded_at', 'recordedTime', 'storedAt', 'stored_at', ...inMeta('recordedAt', 'recorded_at')],
    correlation_id: [
      'correlation_id', 'correlationId',
      ...inMeta('correlation_id', 'correlationId', '$correlationId', 'correlationid'),
    ],
    causation_id: [
      'causation_id', 'causationId',
      ...inMeta('causation_id', 'causationId', '$causationId', 'causationid'),
    ],
    source: ['source', 'producer', 'service', ...inMeta('source', 'producer', 'service')],
    data: ['data', 'payload', 'body', 'message_data'],
    meta: [...META, 'message_metadata'],
    position: ['position', 'global_position', 'globalPosition', 'seq_id'],
  },
};
