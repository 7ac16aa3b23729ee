import { UserError } from '../../core/errors.js';
import { canonicalPreset } from './canonical.js';
import { cloudeventsPreset } from './cloudevents.js';
import { lobsterPreset } from './lobster.js';
import type { Preset } from './preset.js';

export const PRESETS: readonly Preset[] = [canonicalPreset, cloudeventsPreset, lobsterPreset];

export function getPreset(name: string): Preset {
  const preset = PRESETS.find((p) => p.name === name.toLowerCase());
  if (!preset) {
    const store = ['messagedb', 'marten', 'emmett', 'table'].includes(name.toLowerCase());
    throw new UserError(
      store ? `preset "${name}" reads an event store, not a file` : `unknown preset "${name}"`,
      `file presets: ${PRESETS.map((p) => p.name).join(', ')}`,
    );
  }
  return preset;
}

export type { Preset };
