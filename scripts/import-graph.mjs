#!/usr/bin/env node
/**
 * The import graph of src/, read from the TypeScript sources' own import statements (no
 * dependency, no build): which file imports which, whether the import is a value, a type only
 * (erased at run time) or lazy (`await import('…')`), the import circles, and the imports that
 * run up the floors docs/architecture.md §5 names.
 *
 *   node scripts/import-graph.mjs            # the circles and upward imports, in words
 *   node scripts/import-graph.mjs --json     # the whole graph
 *   npm run docs:import-graph                # docs/import-graph.svg (Graphviz `dot`)
 *
 * test/unit/import-graph.test.ts holds the code to it: nothing outside src/cli imports
 * src/cli, no import circle beyond the documented lazy ones, no upward import beyond the
 * documented ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The floors, top first: a folder imports folders on its own floor or below. Between features
 * the order is the one the code has (a feature that reads another's data sits above it).
 */
export const FLOORS = [
  ['cli'],
  ['demo', 'ui', 'watch'],
  ['report'],
  ['schema', 'info'],
  ['replay', 'trace'],
  ['audit', 'query'],
  ['ingest'],
  ['export'],
  ['integrity'],
  ['store'],
  ['fixtures', 'packs'],
  ['output', 'core', 'version.ts'],
];

/**
 * Imports that run up the floors on purpose, each with why (docs/architecture.md §5 lists
 * them). Every other upward import fails test/unit/import-graph.test.ts.
 */
export const ALLOWED_UPWARD = [
  { from: 'src/output/json-values.ts', to: 'src/store/duckdb.ts', why: 'DuckDB\'s value classes (the JSON converter\'s input), taken from the one module that loads the package (with require(), for start-up)' },
  { from: 'src/integrity/sources-check.ts', to: 'src/ingest/formats.ts', why: '`verify --source` re-reads the sources with ingest\'s own readers (a type)' },
  { from: 'src/integrity/sources-check.ts', to: 'src/ingest/sources.ts', why: '`verify --source` re-reads the sources with ingest\'s own readers' },
  { from: 'src/integrity/sources-check.ts', to: 'src/ingest/ingest.ts', why: '`verify --source` maps a changed source again as ingest does (loaded lazily)' },
  { from: 'src/integrity/store-source-check.ts', to: 'src/ingest/sources.ts', why: '`verify --source postgres://…|nats://…` reads an event store again into a temporary store (its temp folder)' },
  { from: 'src/integrity/store-source-check.ts', to: 'src/ingest/stores/open.ts', why: '… opening the store source as ingest does (loaded lazily)' },
  { from: 'src/integrity/store-source-check.ts', to: 'src/ingest/stores/ingest-store.ts', why: '… and reading it as ingest does (loaded lazily)' },
  { from: 'src/integrity/run-verify.ts', to: 'src/report/verify-report.ts', why: '`verify --report` checks a report file (loaded lazily, only for that flag)' },
  { from: 'src/store/macros.ts', to: 'src/replay/macros.ts', why: 'the projections\' SQL macros (orders_at …), kept beside the projections they mirror, are defined on every connection so `evtrail query` can call them' },
  { from: 'src/store/migrations.ts', to: 'src/integrity/chain-migrate.ts', why: 'a one-time migration of an older store\'s chain, loaded only when a store needs it' },
  { from: 'src/store/migrations.ts', to: 'src/integrity/records-check.ts', why: 'a one-time migration (the rejects\' chain), loaded only when a store needs it' },
];

/**
 * The import circles there may be, each with why. None may be closed by value imports alone:
 * the one through store/ and integrity/ is closed by the lazy migrations above, the one inside
 * store/ by a type (erased at run time).
 */
export const ALLOWED_CIRCLES = [
  {
    files: ['src/integrity/chain-migrate.ts', 'src/integrity/chain-store.ts', 'src/integrity/chain-v1.ts', 'src/integrity/records-check.ts', 'src/integrity/verify.ts', 'src/store/migrations.ts', 'src/store/store.ts'],
    why: 'the store\'s migrations load the integrity migrations lazily (import()), which take a Store',
  },
];

/** The top folder of a file under src/ (`version.ts` for the one file at the top). */
export function folderOf(file) {
  return file.split('/')[1];
}

export function floorOf(folder) {
  const i = FLOORS.findIndex((f) => f.includes(folder));
  return i < 0 ? undefined : FLOORS.length - 1 - i;
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return walk(p);
    return /\.(ts|tsx|mts)$/.test(d.name) && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Comments out, strings kept: an import written inside a comment is not an import. */
function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const STATIC = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*['"]([^'"]+)['"]/gm;
const BARE = /^\s*import\s*['"]([^'"]+)['"]/gm;
const LAZY = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function resolve(fromFile, spec) {
  if (!spec.startsWith('.')) return undefined; // a package
  const base = path.resolve(path.dirname(fromFile), spec);
  const stem = base.replace(/\.(m?js|jsx)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Every import between files of src/: { from, to, kind } with paths relative to the
 * repository and kind 'value', 'type' (every name imported as a type: erased) or 'lazy'.
 */
export function importGraph(root = ROOT) {
  const files = walk(path.join(root, 'src')).sort();
  const edges = [];
  const rel = (p) => path.relative(root, p).split(path.sep).join('/');
  for (const file of files) {
    const text = stripComments(fs.readFileSync(file, 'utf8'));
    const seen = new Map();
    const add = (spec, kind) => {
      const to = resolve(file, spec);
      if (!to) return;
      const key = rel(to);
      // One edge per pair, the strongest kind: value over lazy over type.
      const rank = { type: 0, lazy: 1, value: 2 };
      if (!seen.has(key) || rank[kind] > rank[seen.get(key)]) seen.set(key, kind);
    };
    for (const m of text.matchAll(STATIC)) {
      const names = m[3] ?? '';
      const typeOnly = Boolean(m[2]) || (/^\{[\s\S]*\}$/.test(names.trim()) && names.replace(/[{}\s]/g, '').split(',').filter(Boolean).every((n) => n.startsWith('type ')));
      add(m[4], typeOnly ? 'type' : 'value');
    }
    for (const m of text.matchAll(BARE)) add(m[1], 'value');
    for (const m of text.matchAll(LAZY)) add(m[1], 'lazy');
    for (const [to, kind] of seen) edges.push({ from: rel(file), to, kind });
  }
  return { files: files.map(rel), edges };
}

/** Strongly connected components of more than one file (Tarjan), over the edges given. */
export function circles(files, edges) {
  const next = new Map(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const strong = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const c = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/** Imports from a lower floor to a higher one, and imports of src/cli from outside it. */
export function upward(edges) {
  return edges.filter((e) => {
    const [a, b] = [floorOf(folderOf(e.from)), floorOf(folderOf(e.to))];
    return a !== undefined && b !== undefined && b > a;
  });
}

export function intoCli(edges) {
  return edges.filter((e) => folderOf(e.to) === 'cli' && folderOf(e.from) !== 'cli');
}

/** The folders as boxes on their floors, the imports between them as arrows (Graphviz DOT). */
export function toDot({ files, edges }, root = ROOT, title = 'evtrail src/') {
  const folders = [...new Set(files.map(folderOf))];
  const lines = (f) => files.filter((x) => folderOf(x) === f).reduce((n, x) => n + fs.readFileSync(path.join(root, x), 'utf8').split('\n').length, 0);
  const out = ['digraph imports {', '  rankdir=TB; newrank=true; node [shape=box, style="rounded,filled", fillcolor="#eef3f8", fontname="Helvetica"]; edge [color="#8899aa", arrowsize=0.6];'];
  const shown = FLOORS.map((floor) => floor.filter((f) => folders.includes(f))).filter((f) => f.length > 0);
  for (const here of shown) out.push(`  { rank=same; ${here.map((f) => `"${f}" [label="${f === 'version.ts' ? f : `${f}/`}\\n${lines(f)} lines"]`).join('; ')} }`);
  // One floor under the other, whatever the arrows say (invisible ties between the floors).
  for (let i = 1; i < shown.length; i++) out.push(`  "${shown[i - 1][0]}" -> "${shown[i][0]}" [style=invis, weight=10];`);
  const pairs = new Map();
  for (const e of edges) {
    const [a, b] = [folderOf(e.from), folderOf(e.to)];
    if (a === b) continue;
    const key = `${a}\u0000${b}`;
    const p = pairs.get(key) ?? { a, b, n: 0, lazyOnly: true, typeOnly: true };
    p.n++;
    if (e.kind !== 'lazy') p.lazyOnly = false;
    if (e.kind !== 'type') p.typeOnly = false;
    pairs.set(key, p);
  }
  for (const p of [...pairs.values()].sort((x, y) => `${x.a}${x.b}`.localeCompare(`${y.a}${y.b}`))) {
    const up = (floorOf(p.b) ?? 0) > (floorOf(p.a) ?? 0);
    const attrs = [`label="${p.n}"`, 'fontsize=9'];
    if (up) attrs.push('color="#d97706"', 'fontcolor="#d97706"', 'constraint=false', 'penwidth=1.6');
    else if (floorOf(p.b) === 0) attrs.push('color="#ccd5de"', 'fontcolor="#99a5b0"');
    if (p.lazyOnly) attrs.push('style=dashed');
    else if (p.typeOnly) attrs.push('style=dotted');
    out.push(`  "${p.a}" -> "${p.b}" [${attrs.join(', ')}];`);
  }
  out.push(`  labelloc=t; fontname="Helvetica"; label="${title}: folders on their floors (docs/architecture.md §5); arrows = imports (count of file pairs); dashed = lazy import(); dotted = types only; orange = against the floors";`);
  out.push('}');
  return out.join('\n') + '\n';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // --root DIR: another checkout (e.g. `git archive <commit> src | tar -x -C DIR`), for a picture of before.
  const at = process.argv.indexOf('--root');
  const graph = importGraph(at > 0 ? path.resolve(process.argv[at + 1]) : ROOT);
  if (process.argv.includes('--json')) console.log(JSON.stringify(graph, null, 2));
  else if (process.argv.includes('--dot')) {
    const t = process.argv.indexOf('--title');
    process.stdout.write(toDot(graph, at > 0 ? path.resolve(process.argv[at + 1]) : ROOT, t > 0 ? process.argv[t + 1] : undefined));
  }
  else {
    const all = circles(graph.files, graph.edges);
    const eager = circles(graph.files, graph.edges.filter((e) => e.kind !== 'lazy'));
    console.log(`${graph.files.length} files, ${graph.edges.length} imports between them`);
    console.log(`import circles (lazy imports counted): ${all.length}`);
    for (const c of all) console.log(`  ${c.join(' ↔ ')}`);
    console.log(`import circles without lazy imports: ${eager.length}`);
    for (const c of eager) console.log(`  ${c.join(' ↔ ')}`);
    const up = upward(graph.edges);
    console.log(`imports against the floors: ${up.length}`);
    for (const e of up) console.log(`  ${e.from} → ${e.to} (${e.kind})`);
    console.log(`imports of src/cli from outside it: ${intoCli(graph.edges).length}`);
  }
}
