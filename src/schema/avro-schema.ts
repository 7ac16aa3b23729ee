/**
 * Avro schema files (.avsc) for `schema compat`: read and validated with avsc (a well-kept
 * Avro implementation), judged by avro-compat.ts's resolution rules, and for each reading that
 * breaks, a witness found with avsc: a value the writer schema encodes that the reader schema
 * cannot decode, so the verdict can be checked by hand.
 */
import avro from 'avsc';
import { UserError } from '../core/errors.js';
import { avroReasonFor, diffAvro, parseAvro, isCompatibleAvroChange, type AvroDifferenceType, type AvroJson } from './avro-compat.js';
import { directionsOf, type CompatMode, type Direction } from './compat.js';
import { parseSchemaJson, readSchemaFile } from './schema-file.js';

export interface AvroChange {
  type: AvroDifferenceType;
  path: string;
  breaking: boolean;
  direction: Direction;
  reason: string;
}

/** A value written with one schema that the other cannot read, in Avro's JSON encoding. */
export interface AvroWitness {
  direction: Direction;
  /** The value as the writer's schema writes it (Avro JSON encoding). */
  value: string;
  /** What avsc said when the reader's schema read it. */
  error: string;
}

export interface AvroCompatResult {
  compatible: boolean;
  mode: CompatMode;
  changes: AvroChange[];
  witnesses: AvroWitness[];
}

export function isAvroFile(file: string): boolean {
  return /\.avsc$/i.test(file);
}

/** Reads and validates one .avsc document (exit 2 with the reason when it is not a valid Avro schema). */
export function loadAvroSchema(file: string): AvroJson {
  const text = readSchemaFile(file, 'give the path of an Avro schema (.avsc) file');
  const schema = parseSchemaJson(file, text, 'an .avsc file holds one Avro schema in its JSON form') as AvroJson;
  try {
    avro.Type.forSchema(schema as avro.Schema);
    parseAvro(schema); // stricter than avsc where the specification is (a record needs a name)
  } catch (error) {
    throw new UserError(`${file} is not a valid Avro schema: ${(error as Error).message.replace(/\s+/g, ' ')}`, 'see the Avro specification, "Schema Declaration"');
  }
  return schema;
}

/** The changes from one Avro schema version to the next, judged for a mode. */
export function checkAvroPair(oldSchema: AvroJson, newSchema: AvroJson, mode: CompatMode): AvroCompatResult {
  const changes: AvroChange[] = [];
  const witnesses: AvroWitness[] = [];
  for (const direction of directionsOf(mode)) {
    const [writer, reader] = direction === 'backward' ? [oldSchema, newSchema] : [newSchema, oldSchema];
    const diffs = diffAvro(writer, reader).map((d) => ({
      ...d,
      breaking: mode !== 'NONE' && !isCompatibleAvroChange(d.type),
      direction,
      reason: avroReasonFor(d.type, direction),
    }));
    changes.push(...diffs);
    if (diffs.some((d) => !isCompatibleAvroChange(d.type))) {
      const witness = findWitness(writer, reader);
      if (witness) witnesses.push({ direction, ...witness });
    }
  }
  return { compatible: changes.every((c) => !c.breaking), mode, changes, witnesses };
}

/**
 * A value the writer's schema encodes that the reader's cannot decode: any value when avsc
 * refuses to resolve the schemas at all, else the first of some random values whose decoding
 * fails (a union branch or an enum symbol that only some values take).
 */
export function findWitness(writer: AvroJson, reader: AvroJson, tries = 500): { value: string; error: string } | undefined {
  const w = avro.Type.forSchema(writer as avro.Schema);
  const r = avro.Type.forSchema(reader as avro.Schema);
  let resolver: avro.Resolver;
  try {
    resolver = r.createResolver(w);
  } catch (error) {
    return { value: w.toString(w.random()), error: (error as Error).message };
  }
  for (let i = 0; i < tries; i++) {
    const value = w.random();
    try {
      r.fromBuffer(w.toBuffer(value), resolver);
    } catch (error) {
      return { value: w.toString(value), error: (error as Error).message };
    }
  }
  return undefined;
}
