/** `npm run docs:change-kinds`: rewrites the README's table of schema change kinds from the code. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withChangeKinds } from './change-kinds.js';

const readme = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md');
fs.writeFileSync(readme, withChangeKinds(fs.readFileSync(readme, 'utf8')));
console.log(`rewrote the change kinds in ${readme}`);
