import { candidatesExpr, type RecordAccess } from '../mapping.js';
import type { Preset } from './preset.js';

/** Marten's tenant when none is named (JasperFx StorageConstants.DefaultTenantId). */
export const MARTEN_DEFAULT_TENANT = '*DEFAULT*';

/**
 * The columns of mt_events the envelope has no place for, kept in meta under `marten`
 * (absent columns and NULLs are left out): the tenant, the .NET type, whether the stream is
 * archived, the user name (Marten's metadata column), and when the store has them is_skipped
 * (EnableEventSkippingInProjectionsOrSubscriptions) and the DCB tags (hstore, as a JSON object).
 */
export function martenMeta(access: RecordAccess): string {
  const own = `json_object('tenant_id', ${access.json('tenant_id')}, 'dotnet_type', ${access.json('mt_dotnet_type')},
    'is_archived', ${access.json('is_archived')}, 'user_name', ${access.json('user_name')},
    'is_skipped', ${access.json('is_skipped')}, 'tags', ${access.json('tags')})`;
  // A merge patch drops the members that are null.
  return `json_merge_patch(coalesce(${candidatesExpr(access, 'meta', ['headers'])}, '{}'::JSON), json_object('marten', ${own}))`;
}

/**
 * Marten (JasperFx/marten), table `mt_events` in the document store's schema: seq_id (the
 * global sequence), id, stream_id, version, type, timestamp (timestamptz), data, and the
 * optional metadata columns correlation_id, causation_id and headers. Marten's causation_id
 * is already the causing message's id.
 * Conjoined tenancy: the same stream key in two tenants is two streams, so a tenant other than
 * Marten's default one is part of the stream: `<tenant_id>/<stream_id>`. Tombstones are skipped
 * at the read (stores/layouts.ts); an event whose body Marten wrote to `bdata` (a binary
 * serializer; `data` then holds a `{}` placeholder) is rejected, its row (bytes in hex) kept.
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
  expressions(access) {
    const tenant = access.text('tenant_id');
    const stream = access.text('stream_id');
    return {
      stream: `CASE WHEN ${tenant} IS NULL OR ${tenant} = '${MARTEN_DEFAULT_TENANT}' THEN ${stream} ELSE ${tenant} || '/' || ${stream} END`,
      meta: martenMeta(access),
    };
  },
  validate(access) {
    const bdata = access.text('bdata');
    return `CASE WHEN ${bdata} IS NOT NULL THEN 'the body is binary (Marten bdata, ' || ((length(${bdata}) - 2) // 2) || ' bytes; data holds a {} placeholder): not JSON, kept in the reject' END`;
  },
};
