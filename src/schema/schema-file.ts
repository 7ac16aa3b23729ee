import fs from 'node:fs';
import { UserError } from '../core/errors.js';

/** A schema file's text; a missing file or a folder is the user's to fix (exit 2, with `hint`). */
export function readSchemaFile(file: string, hint: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read schema ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code)}`, hint);
  }
}

/** A schema file's JSON; text that is not JSON is refused in one line (V8 quotes the text near the mistake, newlines included). */
export function parseSchemaJson(file: string, text: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not JSON: ${(error as Error).message.replace(/\s+/g, ' ')}`, hint);
  }
}
