import { UserError } from '../../core/errors.js';
import { canonicalPreset } from './canonical.js';
import { cloudeventsPreset } from './cloudevents.js';
import { emmettPreset } from './emmett.js';
import { lobsterPreset } from './lobster.js';
import { martenPreset } from './marten.js';
import { messagedbPreset } from './messagedb.js';
import { tablePreset } from './table.js';
import type { Preset } from './preset.js';

export const PRESETS: readonly Preset[] = [canonicalPreset, cloudeventsPreset, lobsterPreset];

/** Presets of event-store layouts: read from postgres:// sources, never from files. */
export const STORE_PRESETS: readonly Preset[] = [messagedbPreset, martenPreset, emmettPreset, tablePreset];

/** A preset for an event-store source: a store layout, or a file preset for JetStream payloads. */
export function getStorePreset(name: string, allowed: readonly string[]): Preset {
  const preset = [...STORE_PRESETS, ...PRESETS].find((p) => p.name === name.toLowerCase());
  if (!preset || !allowed.includes(preset.name)) {
    throw new UserError(`preset "${name}" cannot read this source`, `presets for it: ${allowed.join(', ')}`);
  }
  return preset;
}

export function getPreset(name: string): Preset {
  const preset = PRESETS.find((p) => p.name === name.toLowerCase());
  if (!preset) {
    const store = STORE_PRESETS.some((p) => p.name === name.toLowerCase());
    throw new UserError(
      store ? `preset "${name}" reads an event store, not a file` : `unknown preset "${name}"`,
      `file presets: ${PRESETS.map((p) => p.name).join(', ')}`,
    );
  }
  return preset;
}

export type { Preset };
