/** `npm run docs:change-kinds`: rewrites the reference's (docs/reference.md) table of schema change kinds from the code. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withChangeKinds } from './change-kinds.js';

// The table lives in the reference's Schemas section (docs/reference.md, shipped with the package).
const readme = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'reference.md');
fs.writeFileSync(readme, withChangeKinds(fs.readFileSync(readme, 'utf8')));
console.log(`rewrote the change kinds in ${readme}`);
