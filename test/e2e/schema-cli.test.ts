import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { cli, tmpDir } from '../helpers.js';

// `evtrail schema compat` driven through the built CLI, as a user runs it.
// The OrderPlaced schemas follow docs/architecture.md §4's vocabulary: v2 adds an optional `tif`.
const v1 = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { orderId: { type: 'string' }, qty: { type: 'integer', minimum: 1 }, side: { enum: ['BUY', 'SELL'] } },
  required: ['orderId', 'qty', 'side'],
  additionalProperties: false,
};
const v2 = { ...v1, properties: { ...v1.properties, tif: { enum: ['DAY', 'IOC'] } } };
const v3 = { ...v2, required: [...v2.required, 'tif'] };

let dir: string;
const file = (name: string, schema: unknown) => {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, typeof schema === 'string' ? schema : JSON.stringify(schema));
  return p;
};

beforeAll(() => {
  dir = tmpDir('evtrail-schema-');
  file('v1.json', v1);
  file('v2.json', v2);
  file('v3.json', v3);
  file('reg/OrderPlaced.v1.json', v1);
  file('reg/OrderPlaced.v2.json', v2);
  file('reg/OrderFilled/v1.json', { type: 'object', properties: { orderId: { type: 'string' } } });
});

describe('evtrail schema compat --old --new', () => {
  it('an optional property added to a closed model is BACKWARD compatible: exit 0, --json shape', () => {
    const r = cli(['schema', 'compat', '--old', 'v1.json', '--new', 'v2.json', '--mode', 'BACKWARD', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.compatible).toBe(true);
    expect(out.changes).toEqual([expect.objectContaining({ type: 'OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL', path: '#/properties/tif', breaking: false })]);
  });

  it('… but not FORWARD: the old closed schema rejects events that carry it (exit 1, with the reason)', () => {
    const r = cli(['schema', 'compat', '--old', 'v1.json', '--new', 'v2.json', '--mode', 'FORWARD', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.compatible).toBe(false);
    const change = out.changes.find((c: { breaking: boolean }) => c.breaking);
    expect(change).toMatchObject({ type: 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', path: '#/properties/tif', direction: 'forward' });
    expect(change.reason).toMatch(/rejected/);
  });

  it('plain output in a pipe lists each change with its full reason; mode names are case-insensitive', () => {
    const r = cli(['schema', 'compat', '--old', 'v2.json', '--new', 'v3.json', '--mode', 'backward'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/INCOMPATIBLE/);
    expect(r.stdout).toMatch(/REQUIRED_ATTRIBUTE_ADDED\s+#\/required\/tif\s+the property became required: old events without it are rejected by the new schema/);
    expect(r.stderr).toMatch(/^evtrail: incompatible under BACKWARD/);
  });

  it('NONE is always compatible', () => {
    const r = cli(['schema', 'compat', '--old', 'v2.json', '--new', 'v3.json', '--mode', 'NONE', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).compatible).toBe(true);
  });
});

describe('evtrail schema compat --registry', () => {
  it('checks every type\'s versions (flat <Type>.v<N>.json and <Type>/v<N>.json)', () => {
    const r = cli(['schema', 'compat', '--registry', 'reg', '--mode', 'BACKWARD_TRANSITIVE', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.compatible).toBe(true);
    expect(out.types).toEqual(expect.arrayContaining([
      { type: 'OrderPlaced', format: 'json', versions: [1, 2], compatible: true },
      { type: 'OrderFilled', format: 'json', versions: [1], compatible: true },
    ]));
  });

  it('a third version that requires the new property fails BACKWARD_TRANSITIVE against v1 and v2', () => {
    file('reg3/OrderPlaced.v1.json', v1);
    file('reg3/OrderPlaced.v2.json', v2);
    file('reg3/OrderPlaced.v3.json', v3);
    const r = cli(['schema', 'compat', '--registry', 'reg3', '--mode', 'BACKWARD_TRANSITIVE', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    const breaking = out.changes.filter((c: { breaking: boolean }) => c.breaking).map((c: { version: number; against: number; type: string }) => [c.version, c.against, c.type]);
    // v3 against v1: tif is a new required property of a closed model; against v2: it became required.
    expect(breaking.sort()).toEqual([[3, 1, 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL'], [3, 2, 'REQUIRED_ATTRIBUTE_ADDED']]);
  });
});

describe('bad input: one line, a hint, exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['missing file', ['--old', 'v1.json', '--new', 'nope.json'], /cannot read schema nope\.json/],
    ['not JSON', ['--old', 'v1.json', '--new', 'broken.json'], /broken\.json is not JSON/],
    // V8 quotes the text near the mistake, line breaks included: the message stays whole on one line.
    ['not JSON, a line break near the mistake', ['--old', 'v1.json', '--new', 'broken-lines.json'], /broken-lines\.json is not JSON: .*"\{ "type": x \}" is not valid JSON$/],
    ['not a valid JSON Schema', ['--old', 'v1.json', '--new', 'invalid.json'], /invalid\.json is not a valid JSON Schema at \/type/],
    ['unknown mode', ['--old', 'v1.json', '--new', 'v2.json', '--mode', 'SIDEWAYS'], /unknown compatibility mode SIDEWAYS/],
    ['--new missing', ['--old', 'v1.json'], /needs --old and --new/],
    ['empty registry', ['--registry', 'empty'], /holds no schema/],
    ['unknown $schema', ['--old', 'v1.json', '--new', 'draft4.json'], /declares \$schema/],
  ];
  for (const [name, args, message] of cases) {
    it(name, () => {
      file('broken.json', '{"type": ');
      file('broken-lines.json', '{\n"type": x\n}');
      file('invalid.json', { type: 'strng' });
      file('draft4.json', { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' });
      fs.mkdirSync(path.join(dir, 'empty'), { recursive: true });
      const r = cli(['schema', 'compat', ...args], { cwd: dir });
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toMatch(/^hint: /);
    });
  }

  it('a 2020-12 schema is checked against the 2020-12 meta-schema', () => {
    file('t2020.json', { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'string' }], items: false });
    const ok = cli(['schema', 'compat', '--old', 't2020.json', '--new', 't2020.json', '--json'], { cwd: dir });
    expect(ok.code).toBe(0);
    file('bad2020.json', { $schema: 'https://json-schema.org/draft/2020-12/schema', prefixItems: { type: 'string' } });
    const bad = cli(['schema', 'compat', '--old', 't2020.json', '--new', 'bad2020.json'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a valid JSON Schema/);
  });
});
