import type { Preset } from './preset.js';

/** RFC 3339 date-time with seconds, optional fraction, Z or a ±hh:mm offset (hh ≤ 23). */
const RFC3339 = `^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`;
/** RFC 2046 media type: type/subtype with optional parameters. */
const MEDIA_TYPE = `^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+([ \\t]*;.*)?$`;

/**
 * CloudEvents 1.0, JSON format: single events and batches (a JSON array), with the
 * correlationid / causationid / sequence / recordedtime / traceparent extensions mapped to the
 * envelope. The stream is the subject when there is one, else the source. Validation follows
 * the spec and the conformance tests in ../shared/data/cloudevents: required attributes
 * present, non-empty and strings, specversion 1.0, RFC 3339 times, RFC 2046 content types,
 * lower-case alphanumeric extension names, not both data and data_base64.
 */
export const cloudeventsPreset: Preset = {
  name: 'cloudevents',
  description: 'CloudEvents 1.0 JSON format (single events, batches, NDJSON of events)',
  defaultFormat: 'json',
  required: ['id', 'type'],
  candidates: {
    id: ['id'],
    type: ['type'],
    stream: ['subject', 'source'],
    source: ['source'],
    ts: ['time'],
    recorded_ts: ['recordedtime'],
    rev: ['sequence'],
    correlation_id: ['correlationid'],
    causation_id: ['causationid'],
  },
  expressions(access) {
    // data as JSON; data_base64 kept as its string, and the attributes other than data in meta.
    return {
      data: `coalesce(${access.json('data')}, ${access.json('data_base64')})`,
      meta: `json_object(${['specversion', 'source', 'datacontenttype', 'dataschema', 'subject', 'traceparent', 'tracestate']
        .map((k) => `'${k}', ${access.json(k)}`)
        .join(', ')}, 'data_base64', (${access.json('data_base64')}) IS NOT NULL)`,
    };
  },
  validate(access) {
    const str = (k: string) => access.json(k);
    const required = ['specversion', 'id', 'source', 'type'].map(
      (k) => `CASE WHEN ${str(k)} IS NULL THEN 'missing ${k}'
        WHEN json_type(${str(k)}) <> 'VARCHAR' THEN '${k}: must be a string'
        WHEN (${str(k)})->>'$' = '' THEN '${k}: must not be empty' END`,
    );
    const optional = ['datacontenttype', 'dataschema', 'subject', 'time'].map(
      (k) => `CASE WHEN ${str(k)} IS NOT NULL AND json_type(${str(k)}) <> 'VARCHAR' THEN '${k}: must be a string'
        WHEN (${str(k)})->>'$' = '' THEN '${k}: must not be empty' END`,
    );
    const checks = [
      ...required,
      `CASE WHEN (${str('specversion')})->>'$' <> '1.0' THEN 'specversion: ' || ((${str('specversion')})->>'$') || ' is not supported (1.0 is)' END`,
      ...optional,
      `CASE WHEN NOT regexp_matches((${str('time')})->>'$', '${RFC3339}') THEN 'time: not an RFC 3339 timestamp: ' || ((${str('time')})->>'$') END`,
      `CASE WHEN NOT regexp_matches((${str('datacontenttype')})->>'$', '${MEDIA_TYPE}') THEN 'datacontenttype: not an RFC 2046 media type' END`,
      `CASE WHEN ${str('data')} IS NOT NULL AND ${str('data_base64')} IS NOT NULL THEN 'both data and data_base64' END`,
      // Extension names: lower-case letters and digits only.
      `CASE WHEN len(list_filter(json_keys(line), k -> NOT regexp_full_match(k, '[a-z0-9]+') AND k <> 'data_base64')) > 0
        THEN 'attribute names must be lower-case letters and digits: ' || array_to_string(list_filter(json_keys(line), k -> NOT regexp_full_match(k, '[a-z0-9]+') AND k <> 'data_base64'), ', ') END`,
    ];
    return `nullif(concat_ws('; ', ${checks.join(', ')}), '')`;
  },
};
