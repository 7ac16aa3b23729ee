/**
 * Protobuf schema files (.proto, with imports) for `schema compat`: parsed and resolved by
 * protobufjs (imports relative to the file's folder, then to --proto-path folders), judged by
 * protobuf-compat.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { UserError } from '../core/errors.js';
import { directionsOf, type CompatMode, type Direction } from './compat.js';
import { diffProtobuf, isCompatibleProtobufChange, protobufReasonFor, type ProtoFile, type ProtobufDifferenceType } from './protobuf-compat.js';
import { readSchemaFile } from './schema-file.js';

export interface ProtobufChange {
  type: ProtobufDifferenceType;
  path: string;
  breaking: boolean;
  direction: Direction;
  reason: string;
}

export interface ProtobufCompatResult {
  compatible: boolean;
  mode: CompatMode;
  changes: ProtobufChange[];
}

export function isProtoFile(file: string): boolean {
  return /\.proto$/i.test(file);
}

/** Parses one .proto file and what it imports; exit 2 with protobufjs's reason when it cannot. */
export function loadProtoFile(file: string, importPaths: readonly string[] = []): ProtoFile {
  const main = path.resolve(file);
  const text = readSchemaFile(file, 'give the path of a .proto file');
  const root = new protobuf.Root();
  const folders = [path.dirname(main), ...importPaths.map((p) => path.resolve(p))];
  root.resolvePath = (origin, target) => {
    if (path.isAbsolute(target)) return target;
    const found = folders.map((f) => path.join(f, target)).find((p) => fs.existsSync(p));
    return found ?? path.join(path.dirname(origin), target);
  };
  let pkg: string;
  try {
    pkg = protobuf.parse(text, { keepCase: true }).package ?? '';
    root.loadSync(main, { keepCase: true });
    root.resolveAll();
  } catch (error) {
    const message = (error as Error).message.replace(/\s+/g, ' ');
    throw new UserError(`${file} is not a valid .proto file: ${message}`, 'check the file with protoc; imports are looked up beside the file (and in --proto-path folders)');
  }
  const ns = pkg === '' ? root : root.lookup(pkg);
  const types = ns instanceof protobuf.Namespace ? ns.nestedArray.filter((t) => t.filename === main && (t instanceof protobuf.Type || t instanceof protobuf.Enum)) : [];
  return { package: pkg, types };
}

/**
 * One .proto file given as text, without imports (the README's examples of each change kind:
 * change-kind-examples.ts); a file on disk goes through loadProtoFile.
 */
export function protoFileFromText(text: string): ProtoFile {
  const parsed = protobuf.parse(text, { keepCase: true });
  parsed.root.resolveAll();
  const pkg = parsed.package ?? '';
  const ns = pkg === '' ? parsed.root : parsed.root.lookup(pkg);
  const types = ns instanceof protobuf.Namespace ? ns.nestedArray.filter((t) => t instanceof protobuf.Type || t instanceof protobuf.Enum) : [];
  return { package: pkg, types };
}

/** The changes from one .proto version to the next, judged for a mode. */
export function checkProtobufPair(oldFile: ProtoFile, newFile: ProtoFile, mode: CompatMode): ProtobufCompatResult {
  const changes: ProtobufChange[] = [];
  for (const direction of directionsOf(mode)) {
    const diffs = direction === 'backward' ? diffProtobuf(oldFile, newFile) : diffProtobuf(newFile, oldFile);
    for (const d of diffs) {
      changes.push({ ...d, breaking: mode !== 'NONE' && !isCompatibleProtobufChange(d.type), direction, reason: protobufReasonFor(d.type, direction) });
    }
  }
  return { compatible: changes.every((c) => !c.breaking), mode, changes };
}
