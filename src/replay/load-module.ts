/**
 * Loads a user's JavaScript or TypeScript module: custom projections (--projection, --compare)
 * and upcasters (--upcasters), one loader for both.
 *
 * `.js`, `.mjs`, `.cjs` are imported as they are. A `.ts` / `.mts` / `.cts` module is imported
 * as it is where Node strips types itself (≥ 23.6, or 22.6 with --experimental-strip-types).
 * On older Node (evtrail supports 20.19) it is compiled first — type annotations removed, no
 * type checking — with the TypeScript compiler installed where the module lives (its project's
 * `typescript`), else evtrail's own when it has one (a development checkout):
 * - TypeScript ≤ 6 (the JavaScript compiler): `ts.transpileModule` in this process;
 * - TypeScript ≥ 7 (the native compiler, no JavaScript API for that): its `tsc` on the one file,
 *   `--noCheck --noResolve`, about 0.3 s.
 * evtrail itself does not depend on a compiler: a user who writes TypeScript has one. The
 * JavaScript is written next to the module (a hidden file, removed once imported) so that its
 * imports resolve as they would from the module: packages from its project, `./x.js` beside
 * it. (Another `.ts` file it imports by a `.js` name is not compiled: only the module given.)
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError, firstLine } from '../core/errors.js';

export const MODULE_EXTENSION = /\.(m|c)?[jt]s$/;
const TS_EXTENSION = /\.(m|c)?ts$/;

export interface LoadedModule {
  /** Absolute path of the module as given (the .ts for TypeScript). */
  file: string;
  exports: Record<string, unknown>;
}

/**
 * Imports `spec` (a path, relative to the working directory). `flag` names the option in
 * messages (`--projection`); `shapeHint` says what the module should export.
 */
export async function importUserModule(spec: string, flag: string, shapeHint: string): Promise<LoadedModule> {
  const file = path.resolve(spec);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw new UserError(`${flag} ${spec}: no such file`, `give the path of a .js, .mjs or .ts module, e.g. ${flag} ./my-module.mjs`);
  }
  if (!MODULE_EXTENSION.test(file)) throw new UserError(`${flag} ${spec}: not a JavaScript or TypeScript module`, 'give a .js, .mjs, .cjs or .ts file');
  try {
    return { file, exports: (await import(pathToFileURL(file).href)) as Record<string, unknown> };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (TS_EXTENSION.test(file) && code === 'ERR_UNKNOWN_FILE_EXTENSION') return { file, exports: await importCompiled(spec, file, flag, shapeHint) };
    throw new UserError(`${flag} ${spec}: cannot load it: ${firstLine(error)}`, shapeHint);
  }
}

async function importCompiled(spec: string, file: string, flag: string, shapeHint: string): Promise<Record<string, unknown>> {
  const source = fs.readFileSync(file, 'utf8');
  const js = compileTypeScript(spec, file, source, flag);
  const ext = file.endsWith('.cts') ? '.cjs' : '.mjs';
  // Unique per process and load: two replays of one module at once must not remove each other's.
  const stamp = `${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  const name = `.${path.basename(file).replace(TS_EXTENSION, '')}.${stamp}.evtrail${ext}`;
  // Beside the module, so that its imports resolve from there; in the temp folder when the
  // folder cannot be written (its imports of packages and files then fail, with a hint below).
  let out = path.join(path.dirname(file), name);
  try {
    fs.writeFileSync(out, js);
  } catch {
    out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'evtrail-ts-')), name);
    fs.writeFileSync(out, js);
  }
  try {
    return (await import(pathToFileURL(out).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`${flag} ${spec}: cannot load it (compiled from TypeScript): ${firstLine(error).replaceAll(out, file)}`, shapeHint);
  } finally {
    fs.rmSync(out, { force: true });
  }
}

interface Compiler {
  dir: string;
  version: string;
}

/** The TypeScript compiler of the module's project, else evtrail's own, or null. */
function findCompiler(file: string): Compiler | null {
  for (const from of [file, import.meta.filename ?? new URL(import.meta.url).pathname]) {
    try {
      const pkgFile = createRequire(from).resolve('typescript/package.json');
      const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version?: string };
      return { dir: path.dirname(pkgFile), version: String(pkg.version ?? '0') };
    } catch {
      /* not installed there */
    }
  }
  return null;
}

/** TypeScript source → JavaScript (an ES module, or CommonJS for .cts), types removed. */
function compileTypeScript(spec: string, file: string, source: string, flag: string): string {
  const compiler = findCompiler(file);
  if (!compiler) {
    throw new UserError(
      `${flag} ${spec}: this Node.js (${process.version}) cannot load TypeScript by itself and no TypeScript compiler is installed for it`,
      `install one in its project (npm install -D typescript; evtrail compiles the module with it), compile it yourself (tsc) and pass the .js, or use Node ≥ 23.6`,
    );
  }
  const major = Number(compiler.version.split('.')[0]);
  const cjs = file.endsWith('.cts');
  if (major < 7) {
    // The JavaScript compiler: transpile in this process (no type check, like Node's stripping).
    type Ts = {
      transpileModule: (s: string, o: object) => { outputText: string; diagnostics?: { messageText: unknown }[] };
      ModuleKind: Record<string, number>;
      ScriptTarget: Record<string, number>;
    };
    const ts = createRequire(path.join(compiler.dir, 'package.json'))('typescript') as Ts;
    const out = ts.transpileModule(source, {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: { module: cjs ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false, inlineSourceMap: false },
    });
    const problem = out.diagnostics?.[0];
    if (problem) throw new UserError(`${flag} ${spec}: TypeScript cannot compile it: ${firstLine(messageText(problem.messageText))}`, 'fix the module (or run tsc on it to see every error)');
    return out.outputText;
  }
  // The native compiler: its tsc on this one file, into a temporary folder.
  const pkg = JSON.parse(fs.readFileSync(path.join(compiler.dir, 'package.json'), 'utf8')) as { bin?: Record<string, string> | string };
  const bin = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.tsc;
  if (!bin) throw new UserError(`${flag} ${spec}: the TypeScript compiler in ${compiler.dir} has no tsc`, 'compile the module yourself (tsc) and pass the .js');
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'evtrail-tsc-'));
  try {
    const staged = path.join(outDir, 'src', path.basename(file));
    fs.mkdirSync(path.dirname(staged));
    fs.writeFileSync(staged, source);
    const args = [
      path.join(compiler.dir, bin), staged, '--outDir', path.join(outDir, 'out'), '--rootDir', path.dirname(staged),
      '--module', cjs ? 'commonjs' : 'esnext', '--moduleResolution', 'bundler', '--target', 'es2022',
      '--noCheck', '--noResolve', '--skipLibCheck', '--declaration', 'false', '--sourceMap', 'false', '--types', '',
    ];
    // cwd: the temporary folder, so that no tsconfig.json of the user's applies.
    const run = spawnSync(process.execPath, args, { cwd: outDir, encoding: 'utf8', timeout: 60_000 });
    const emitted = path.join(outDir, 'out', path.basename(file).replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs').replace(/\.cts$/, '.cjs'));
    // --noCheck: only syntax errors are reported (and fail the compile), as Node's stripping would.
    if (run.status !== 0 || !fs.existsSync(emitted)) {
      const said = `${run.stdout ?? ''}\n${run.stderr ?? ''}`.split('\n').find((l) => /error/i.test(l)) ?? `tsc exited ${run.status ?? run.signal}`;
      throw new UserError(`${flag} ${spec}: TypeScript cannot compile it: ${said.replaceAll(staged, spec).replaceAll(path.join('src', path.basename(file)), spec).trim()}`, 'fix the module (or run tsc on it to see every error)');
    }
    return fs.readFileSync(emitted, 'utf8');
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

function messageText(m: unknown): string {
  if (typeof m === 'string') return m;
  if (m && typeof m === 'object' && 'messageText' in m) return messageText((m as { messageText: unknown }).messageText);
  return String(m);
}
