import { NUMBER_MARK } from '../exact-json.js';
import type { RecordAccess } from '../mapping.js';
import type { Preset } from './preset.js';
import { sqlString } from '../../store/sql.js';

/** RFC 3339 date-time: seconds required, optional fraction, Z or a ±hh:mm offset (hh ≤ 23). */
const RFC3339 = `[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])`;
/** RFC 2046 media type: type/subtype with optional parameters. */
const MEDIA_TYPE = `[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+([ \\t]*;.*)?`;
/** An absolute URI starts with a scheme (RFC 3986 §3.1). */
const ABSOLUTE_URI = `[A-Za-z][A-Za-z0-9+.-]*:.*`;

/** The context attributes of the core specification; every other attribute is an extension. */
const CORE_ATTRIBUTES = ['specversion', 'id', 'source', 'type', 'datacontenttype', 'dataschema', 'subject', 'time'];
/** Members of a JSON-format event that are not attributes. */
const DATA_MEMBERS = ['data', 'data_base64'];
/** String extensions the envelope reads (docs/architecture.md §2) or that carry the trace context. */
const STRING_EXTENSIONS = ['correlationid', 'causationid', 'sequence', 'traceparent', 'tracestate'];

/**
 * All members of the record as (key, JSON value) pairs, for meta and for the name and value
 * rules; NULL when the record is no JSON object (reported on its own as "not a JSON object").
 * Read from `pline`, the record with its long numbers protected (exact-json.ts).
 */
const MEMBERS = `try(map_entries(json_transform(pline, '"MAP(VARCHAR, JSON)"')))`;

/** json_type, with a number kept as a marked string (exact-json.ts) typed as the number it is. */
const jsonType = (v: string) => `CASE WHEN json_type(${v}) = 'VARCHAR' AND starts_with(${v}->>'$', ${NUMBER_MARK}) THEN 'DOUBLE' ELSE json_type(${v}) END`;

const sqlList = (items: readonly string[]) => items.map(sqlString).join(', ');

/**
 * CloudEvents 1.0, JSON format: single events, batches (a JSON array) and NDJSON of events,
 * with the correlationid / causationid / sequence / recordedtime / traceparent extensions
 * mapped to the envelope. Validation follows the spec and its conformance tests
 * (../shared/data/cloudevents, test/integration/cloudevents-conformance.test.ts): specversion,
 * id, source and type present, strings and non-empty; specversion 1.0; the optional
 * attributes null (unset) or non-empty strings; RFC 3339 times; an RFC 2046 content type; an
 * absolute dataschema URI; attribute names of lower-case letters and digits; extension values
 * of a JSON type CloudEvents allows (string, boolean, integer); not both data and data_base64.
 * data_base64 is not decoded (the spec's own examples hold a placeholder there).
 *
 * - stream: the subject when there is one, else the source.
 * - ts: `time`, else `recordedtime`, else the time the transport stored it at (JetStream's
 *   server time; none for files). time is optional in CloudEvents: an event with none of these
 *   keeps ts NULL rather than an invented time (an ingest time would make the store depend on
 *   when it was built). A server time is not compared for redeliveries (markDuplicates).
 * - recorded_ts: `recordedtime`, else the transport's time.
 * - identity: source + id (markDuplicates), the stored id is `id`.
 * - rev: `sequence` when it is a whole number (the extension is a string compared
 *   lexicographically; any other spelling stays in meta only).
 * - data: the JSON value of `data`, or the base64 text of `data_base64` (meta.data_base64 is
 *   then true).
 * - meta: every attribute as given (core and extensions, traceparent among them) except
 *   data, and except null ones (null means unset); and what the transport adds (JetStream:
 *   `$nats`, with the subject, stream, server time and headers).
 */
export const cloudeventsPreset: Preset = cloudeventsPresetFor({});

/** What a transport adds to the events it carries (JetStream: nats.ts). */
export interface CloudEventsTransport {
  /** SQL: the time the transport recorded the event at (RFC 3339 text), for recorded_ts and the missing ts. */
  serverTime?: (access: RecordAccess) => string;
  /** Members the reader added to each record that are kept in meta: no attributes (not checked as such). */
  keptMembers?: readonly string[];
  /** Members the reader added that are neither attributes nor meta. */
  hiddenMembers?: readonly string[];
  /** A member the reader sets to why the event cannot be read: the reject reason. */
  problemMember?: string;
}

/**
 * The CloudEvents preset, for files (no transport) or for events read from a transport that
 * adds its own members (nats.ts: the subject, stream, server time and headers of each message).
 */
export function cloudeventsPresetFor(transport: CloudEventsTransport): Preset {
  const hidden = transport.hiddenMembers ?? [];
  const added = [...(transport.keptMembers ?? []), ...hidden];
  const notInMeta = [...DATA_MEMBERS, ...hidden];
  return {
    name: 'cloudevents',
    description: 'CloudEvents 1.0 JSON format (single events, batches, NDJSON of events)',
    defaultFormat: 'json',
    keepsEveryField: true,
    required: ['id', 'type'],
    candidates: {
      id: ['id'],
      type: ['type'],
      stream: ['subject', 'source'],
      source: ['source'],
      correlation_id: ['correlationid'],
      causation_id: ['causationid'],
    },
    expressions(access) {
      const sequence = access.text('sequence');
      const server = transport.serverTime?.(access);
      // A time that is no RFC 3339 timestamp is rejected by validate(), with the attribute's
      // name; it is not handed on (that would add a second reason, or DuckDB would read
      // "+25:00"). upper(): RFC 3339 allows a lower-case t and z, DuckDB's cast does not.
      // A time finer than nanoseconds is rejected by validate() too, so it is not handed on.
      const rfc3339 = (k: string) => `CASE WHEN regexp_full_match(${access.text(k)}, '${RFC3339}')
        AND NOT regexp_matches(${access.text(k)}, '\\.[0-9]{9}[0-9]*[1-9]') THEN upper(${access.text(k)}) END`;
      const recorded = server ? `coalesce(${rfc3339('recordedtime')}, ${server})` : rfc3339('recordedtime');
      return {
        ts: `CASE WHEN ${access.text('time')} IS NULL THEN ${recorded} ELSE ${rfc3339('time')} END`,
        recorded_ts: recorded,
        rev: `CASE WHEN regexp_full_match(${sequence}, '[0-9]{1,18}') THEN ${sequence} END`,
        data: `coalesce(${access.json('data')}, ${access.json('data_base64')})`,
        meta: `json_merge_patch(
          to_json(map_from_entries(list_filter(${MEMBERS}, e -> e.value IS NOT NULL AND e.key NOT IN (${sqlList(notInMeta)})))),
          CASE WHEN ${access.json('data_base64')} IS NOT NULL THEN '{"data_base64": true}' ELSE '{}' END)`,
      };
    },
    validate(access) {
      const checks = cloudeventChecks(access, added);
      if (transport.problemMember) checks.unshift(access.text(`["${transport.problemMember}"]`));
      return `nullif(concat_ws('; ', ${checks.join(',\n      ')}), '')`;
    },
  };
}

/** SQL expressions, each NULL or a reject reason that names the attribute at fault. */
function cloudeventChecks(access: RecordAccess, transportMembers: readonly string[]): string[] {
  const value = (k: string) => access.json(k);
  const text = (k: string) => `((${value(k)})->>'$')`;
  /**
   * The first problem of one string attribute: absent (when required), not a string, empty,
   * or failing its own test. For id and type the envelope's own checks already say
   * "missing id" and "id: expected a string, got {…}" (objects, arrays), so those are not
   * repeated here.
   */
  const stringAttribute = (k: string, options: { required?: boolean; tests?: { bad: string; reason: string }[] } = {}) => {
    const envelopeChecked = k === 'id' || k === 'type';
    const notString = envelopeChecked ? `${jsonType(value(k))} NOT IN ('VARCHAR', 'OBJECT', 'ARRAY')` : `${jsonType(value(k))} <> 'VARCHAR'`;
    return `CASE
        WHEN ${value(k)} IS NULL THEN ${options.required && !envelopeChecked ? `'missing ${k}'` : 'NULL'}
        WHEN ${notString} THEN '${k}: must be a string, got ' || left(${value(k)}::VARCHAR, 60)
        WHEN ${jsonType(value(k))} <> 'VARCHAR' THEN NULL
        WHEN ${text(k)} = '' THEN '${k}: must not be empty'
        ${(options.tests ?? []).map((t) => `WHEN ${t.bad} THEN ${t.reason}`).join('\n        ')}
      END`;
  };
  const rfc3339 = (k: string) => [
    { bad: `NOT regexp_full_match(${text(k)}, '${RFC3339}')`, reason: `'${k}: not an RFC 3339 timestamp: ' || left(${text(k)}, 60)` },
    // Nanoseconds are kept exactly; a finer digit would be dropped, so it is refused instead.
    {
      bad: `regexp_matches(${text(k)}, '\\.[0-9]{9}[0-9]*[1-9]')`,
      reason: `'${k}: ' || ${text(k)} || ' is finer than nanoseconds, which evtrail would have to round'`,
    },
  ];

  const badNames = `list_transform(list_filter(${MEMBERS},
      e -> NOT regexp_full_match(e.key, '[a-z0-9]+') AND e.key NOT IN (${sqlList([...DATA_MEMBERS, ...transportMembers])})), e -> e.key)`;
  // CloudEvents types in JSON: string (also binary, URI, timestamp), boolean, integer.
  const badValues = `list_transform(list_filter(${MEMBERS}, e -> e.key NOT IN (${sqlList([...CORE_ATTRIBUTES, ...DATA_MEMBERS, ...transportMembers])})
      AND e.value IS NOT NULL AND ${jsonType('e.value')} NOT IN ('VARCHAR', 'BOOLEAN', 'BIGINT', 'UBIGINT')),
    e -> e.key || ' = ' || left(e.value::VARCHAR, 40))`;

  return [
    stringAttribute('specversion', {
      required: true,
      tests: [{
        bad: `${text('specversion')} <> '1.0'`,
        reason: `'specversion: ' || left(${text('specversion')}, 20) || ' is not supported (1.0 is)'`,
      }],
    }),
    stringAttribute('id', { required: true }),
    stringAttribute('source', { required: true }),
    stringAttribute('type', { required: true }),
    stringAttribute('datacontenttype', {
      tests: [{
        bad: `NOT regexp_full_match(${text('datacontenttype')}, '${MEDIA_TYPE}')`,
        reason: `'datacontenttype: not an RFC 2046 media type: ' || left(${text('datacontenttype')}, 60)`,
      }],
    }),
    stringAttribute('dataschema', {
      tests: [{
        bad: `NOT regexp_full_match(${text('dataschema')}, '${ABSOLUTE_URI}')`,
        reason: `'dataschema: not an absolute URI: ' || left(${text('dataschema')}, 60)`,
      }],
    }),
    stringAttribute('subject'),
    stringAttribute('time', { tests: rfc3339('time') }),
    stringAttribute('recordedtime', { tests: rfc3339('recordedtime') }),
    ...STRING_EXTENSIONS.map((k) => stringAttribute(k)),
    `CASE WHEN ${value('data_base64')} IS NOT NULL AND ${jsonType(value('data_base64'))} <> 'VARCHAR'
      THEN 'data_base64: must be a base64 string' END`,
    `CASE WHEN ${value('data')} IS NOT NULL AND ${value('data_base64')} IS NOT NULL
      THEN 'both data and data_base64: an event carries one or the other' END`,
    `CASE WHEN len(${badNames}) > 0
      THEN 'attribute names must be lower-case letters and digits: ' || array_to_string(${badNames}, ', ') END`,
    `CASE WHEN len(${badValues}) > 0
      THEN 'extension values must be strings, booleans or integers: ' || array_to_string(${badValues}, ', ') END`,
  ];
}
