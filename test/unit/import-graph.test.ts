/**
 * The layout holds (docs/architecture.md §5): nothing outside src/cli imports src/cli, no import
 * circle beyond the documented one, no import up the floors beyond the documented ones. The
 * graph is read from the sources' import statements by scripts/import-graph.mjs (which also
 * draws docs/import-graph.svg); the reader itself is checked on a small tree made for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without types
import * as g from '../../scripts/import-graph.mjs';
import { tmpDir } from '../helpers.js';

interface Edge { from: string; to: string; kind: 'value' | 'type' | 'lazy' }
interface Graph { files: string[]; edges: Edge[] }
const importGraph = g.importGraph as (root?: string) => Graph;
const circles = g.circles as (files: string[], edges: Edge[]) => string[][];
const upward = g.upward as (edges: Edge[]) => Edge[];
const intoCli = g.intoCli as (edges: Edge[]) => Edge[];
const ALLOWED_UPWARD = g.ALLOWED_UPWARD as { from: string; to: string; why: string }[];
const ALLOWED_CIRCLES = g.ALLOWED_CIRCLES as { files: string[]; why: string }[];
const FLOORS = g.FLOORS as string[][];

const graph = importGraph();
const show = (es: Edge[]) => es.map((e) => `${e.from} → ${e.to} (${e.kind})`);

describe('the import graph of src/', () => {
  it('is read whole: every folder of src/ is on a floor, and the graph has the files tsc compiles', () => {
    const folders = new Set(graph.files.map((f) => f.split('/')[1]!));
    expect([...folders].filter((f) => !FLOORS.flat().includes(f))).toEqual([]);
    expect(graph.files.length).toBeGreaterThan(150);
    expect(graph.edges.length).toBeGreaterThan(500);
  });

  it('nothing outside src/cli imports src/cli', () => {
    expect(show(intoCli(graph.edges))).toEqual([]);
  });

  it('no import circle but the documented ones, and none closed by value imports alone', () => {
    expect(circles(graph.files, graph.edges)).toEqual(ALLOWED_CIRCLES.map((c) => [...c.files].sort()));
    expect(circles(graph.files, graph.edges.filter((e) => e.kind === 'value'))).toEqual([]);
  });

  it('no import up the floors but the documented ones', () => {
    const allowed = new Set(ALLOWED_UPWARD.map((a) => `${a.from} ${a.to}`));
    expect(show(upward(graph.edges).filter((e) => !allowed.has(`${e.from} ${e.to}`)))).toEqual([]);
    // A documented exception that no longer exists is taken off the list (and docs/architecture.md §5).
    const present = new Set(upward(graph.edges).map((e) => `${e.from} ${e.to}`));
    expect(ALLOWED_UPWARD.filter((a) => !present.has(`${a.from} ${a.to}`))).toEqual([]);
  });

  it('docs/architecture.md §5 names every documented exception', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'docs', 'architecture.md'), 'utf8');
    for (const a of ALLOWED_UPWARD) expect(doc, a.from).toContain(`${a.from.replace(/^src\//, '')} → ${a.to.replace(/^src\//, '')}`);
  });
});

describe('the reader of imports, on a tree made for it', () => {
  const root = tmpDir('evtrail-import-graph-');
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  };
  write('src/cli/main.ts', "import { a } from '../ingest/a.js';\n");
  write('src/ingest/a.ts', "import { opts } from '../cli/main.js';\nimport {\n  b,\n  type B,\n} from './b.js';\nexport const a = 1;\n");
  write('src/ingest/b.ts', "import type { A } from './a.js';\nexport const b = 2;\n// import { gone } from './gone.js';\n");
  write('src/store/s.ts', "export async function f() { return (await import('../ingest/a.js')).a; }\n");
  write('src/core/c.ts', "import type { X } from './d.js';\nexport { y } from './d.js';\n");
  write('src/core/d.ts', "export const y = 1;\n");
  const t = importGraph(root);

  it('finds value, type and lazy imports, multi-line ones, re-exports, and not those in comments', () => {
    expect(t.edges.map((e) => `${e.from} ${e.to} ${e.kind}`).sort()).toEqual([
      'src/cli/main.ts src/ingest/a.ts value',
      'src/core/c.ts src/core/d.ts value',
      'src/ingest/a.ts src/cli/main.ts value',
      'src/ingest/a.ts src/ingest/b.ts value',
      'src/ingest/b.ts src/ingest/a.ts type',
      'src/store/s.ts src/ingest/a.ts lazy',
    ]);
  });

  it('names an import of cli/ from a feature, the circles, and an import up the floors', () => {
    expect(show(intoCli(t.edges))).toEqual(['src/ingest/a.ts → src/cli/main.ts (value)']);
    // cli ↔ a and a ↔ b (by a type) are one strongly connected part; only the first is of values.
    expect(circles(t.files, t.edges)).toEqual([['src/cli/main.ts', 'src/ingest/a.ts', 'src/ingest/b.ts']]);
    expect(circles(t.files, t.edges.filter((e) => e.kind === 'value'))).toEqual([['src/cli/main.ts', 'src/ingest/a.ts']]);
    expect(show(upward(t.edges))).toEqual(['src/ingest/a.ts → src/cli/main.ts (value)', 'src/store/s.ts → src/ingest/a.ts (lazy)']);
  });
});
