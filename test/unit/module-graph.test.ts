import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importSpecifiers, moduleGraphHash } from '../../src/replay/module-graph.js';
import { tmpDir } from '../helpers.js';

/** The hash a snapshot is keyed by: every local file a module loads, and its packages' versions. */
const dir = tmpDir('evtrail-graph-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const w = (f: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
  fs.writeFileSync(path.join(dir, f), text);
};

describe('moduleGraphHash', () => {
  it('reads static, dynamic, re-export and require specifiers', () => {
    expect(importSpecifiers(`import a from './a.js';\nimport { b } from "./b.ts"\nexport * from './c.mjs';\nimport './d.js';\nconst e = await import('./e.js');\nconst f = require('f-pkg');\nimport type { T } from './types.js';`))
      .toEqual(['./a.js', './b.ts', './c.mjs', './types.js', './d.js', './e.js', 'f-pkg']);
  });

  it('changes when any file of the local import graph changes, a TypeScript file behind a .js name included', () => {
    w('p.ts', `import { h } from './lib/h.js';\nexport default { name: 'p', evolve: h };\n`);
    w('lib/h.ts', `export const h = async (s: unknown) => (await import('../deep/x.mjs')).x(s);\n`);
    w('deep/x.mjs', `export const x = (s) => s;\n`);
    w('unrelated.mjs', `export const u = 1;\n`);
    const file = path.join(dir, 'p.ts');
    const before = moduleGraphHash(file);
    expect(moduleGraphHash(file)).toBe(before);
    w('unrelated.mjs', `export const u = 2;\n`);
    expect(moduleGraphHash(file)).toBe(before);
    w('deep/x.mjs', `export const x = (s) => ({ ...s });\n`);
    const after = moduleGraphHash(file);
    expect(after).not.toBe(before);
    w('lib/h.ts', `export const h = async (s: unknown) => s;\n`);
    expect(moduleGraphHash(file)).not.toBe(after);
  });
});
