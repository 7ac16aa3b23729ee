import type { EnvelopeField } from '../../core/envelope.js';
import type { FieldCandidates, RecordAccess } from '../mapping.js';
import type { Format } from '../formats.js';

/** What a preset knows about the file it maps (LOBSTER takes its date from the name). */
export interface PresetContext {
  /** File name of the source (no directory), or 'stdin'. */
  fileName: string;
  /** --date, when given. */
  date?: string;
  /** --symbol, when given (LOBSTER: the ticker when the file name does not carry it). */
  symbol?: string;
  /** The market's time zone (--tz, else the preset's marketTimeZone), for presets with one. */
  timeZone?: string;
}

/**
 * A preset maps one family of sources to the envelope: candidate paths per field (the user's
 * --map entries replace a field's candidates), SQL overrides for fields that need computing,
 * the fields an event cannot lack, and an optional validation returning a reject reason.
 */
export interface Preset {
  name: string;
  description: string;
  candidates: FieldCandidates;
  required: readonly EnvelopeField[];
  /** The format to assume when neither the extension nor --format says. */
  defaultFormat?: Format;
  /** Its expressions use `pos` (the record's line / row number): the records are numbered before mapping. */
  usesPosition?: boolean;
  /** CSV: read without a header, with these column names. */
  csvColumns?: readonly string[];
  /**
   * Its own mapping keeps every member of the record (in data or meta), so nothing is left
   * over for `evtrail_unmapped` (CloudEvents: every attribute in meta; LOBSTER: every column).
   */
  keepsEveryField?: boolean;
  /**
   * Columns of the records' relation beside pos and line that its expressions read by name
   * (JetStream: the message's `$nats` member as JSON text, its server time, its headers): what
   * the transport knows travels beside the record instead of being spliced into its text and
   * parsed again with it. JSON lines only, not shaped (--each, --skip).
   */
  stageColumns?: readonly string[];
  /** Top-level keys its expressions take whole besides its candidates' (never kept as unmapped). */
  takesKeys?: readonly string[];
  /** SQL overrides per field, built from the record accessor. */
  expressions?(access: RecordAccess, ctx: PresetContext): Partial<Record<EnvelopeField, string>>;
  /**
   * Its times are wall-clock readings in a market's time zone (LOBSTER: seconds after midnight,
   * New York), this one unless --tz says another; the zone is kept with the source.
   */
  marketTimeZone?: string;
  /** SQL returning a reject reason (VARCHAR) or NULL, checked on top of the field checks. */
  validate?(access: RecordAccess, ctx: PresetContext): string;
}
