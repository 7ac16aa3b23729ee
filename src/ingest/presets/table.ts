import type { Preset } from './preset.js';
import { canonicalPreset } from './canonical.js';

/**
 * Any PostgreSQL table or view (`--table schema.name`): the row as a JSON record, mapped with
 * the canonical aliases and the user's --map (position must name the ordering column).
 */
export const tablePreset: Preset = {
  name: 'table',
  description: 'any PostgreSQL table or view (--table), mapped with --map; position orders the reads',
  required: ['id', 'type', 'ts', 'position'],
  candidates: canonicalPreset.candidates,
};
