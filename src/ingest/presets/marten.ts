import type { Preset } from './preset.js';

/**
 * Marten (JasperFx/marten), table `mt_events` in the document store's schema: seq_id (the
 * global sequence), id, stream_id, version, type, timestamp (timestamptz), data, and the
 * optional metadata columns correlation_id, causation_id and headers. Marten's causation_id
 * is already the causing message's id.
 */
export const martenPreset: Preset = {
  name: 'marten',
  description: 'Marten (mt_events), read from PostgreSQL',
  required: ['id', 'type', 'ts', 'stream', 'position'],
  candidates: {
    id: ['id'],
    stream: ['stream_id'],
    rev: ['version'],
    type: ['type'],
    schema_version: ['headers.schemaVersion', 'headers.schema_version'],
    ts: ['timestamp'],
    correlation_id: ['correlation_id', 'headers.correlation_id', 'headers.correlationId'],
    causation_id: ['causation_id', 'headers.causation_id', 'headers.causationId'],
    source: ['headers.source'],
    data: ['data'],
    meta: ['headers'],
    position: ['seq_id'],
  },
};
