import { candidatesExpr } from '../mapping.js';
import type { Preset } from './preset.js';

/**
 * Emmett (event-driven-io/emmett) on PostgreSQL, table `emt_messages`: global_position,
 * stream_position, stream_id, message_id, message_type, message_data, message_metadata,
 * message_schema_version, created (timestamptz). Correlation and causation ids are in the
 * metadata (correlationId / causationId). The columns the envelope has no place for are kept
 * in meta under `emmett` (absent ones left out): message_kind (E an event, C a command),
 * partition, is_archived, transaction_id (the writer's transaction: what was appended together).
 */
export const emmettPreset: Preset = {
  name: 'emmett',
  description: 'Emmett (emt_messages), read from PostgreSQL',
  required: ['id', 'type', 'ts', 'stream', 'position'],
  candidates: {
    id: ['message_id', 'message_metadata.messageId'],
    stream: ['stream_id'],
    rev: ['stream_position'],
    type: ['message_type'],
    schema_version: ['message_schema_version'],
    ts: ['created'],
    correlation_id: ['message_metadata.correlationId', 'message_metadata.correlation_id'],
    causation_id: ['message_metadata.causationId', 'message_metadata.causation_id'],
    source: ['message_metadata.source'],
    data: ['message_data'],
    meta: ['message_metadata'],
    position: ['global_position'],
  },
  expressions(access) {
    const own = `json_object('message_kind', ${access.json('message_kind')}, 'partition', ${access.json('partition')},
      'is_archived', ${access.json('is_archived')}, 'transaction_id', ${access.json('transaction_id')})`;
    return { meta: `json_merge_patch(coalesce(${candidatesExpr(access, 'meta', ['message_metadata'])}, '{}'::JSON), json_object('emmett', ${own}))` };
  },
};
