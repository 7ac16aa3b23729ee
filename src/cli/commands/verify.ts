import type { Command } from 'commander';
import { dbOption } from '../options.js';
import { outputMode, type OutputFlags } from '../../output/mode.js';

/** The flags as commander gives them. */
export interface VerifyFlags extends OutputFlags {
  db: string;
  /** true: re-read the sources where they were; a list: where to look for them now. */
  source?: boolean | string[];
  manifest?: string;
  pubkey?: string;
  report?: string;
}

export function registerVerify(program: Command): void {
  const command = program
    .command('verify')
    .description('recompute the hash chain and compare it with the stored one; exit 1 if anything differs')
    .option('--source [paths...]', 'also read the sources again and compare: files (paths: where they are now, matched by file name), event stores read once as ingest reads them (a postgres:// or nats:// argument gives the credentials)')
    .option('--manifest <file>', 'compare the store with a seal written by evtrail seal (needs --pubkey)')
    .option('--pubkey <file>', 'the Ed25519 public key that signed the seal or the report')
    .option('--report <file>', 'check a report written by evtrail report (its hash; its signature with --pubkey) instead of the store')
    .option('--json', 'print one JSON document on stdout');
  dbOption(command).action(async (flags: VerifyFlags) => {
    // Loaded when the command runs, so --help loads neither zod nor DuckDB.
    const [{ z }, { parseFlags, featureFlag, flagOf }, run, render, { CheckFailed }] = await Promise.all([
      import('zod'), import('../flags.js'), import('../../integrity/run-verify.js'), import('../../integrity/render.js'), import('../../core/errors.js'),
    ]);
    const mode = outputMode(flags);
    // The failure's line goes to stderr in text; --json's document says it all.
    const fail = (failure: string | undefined): void => {
      if (failure !== undefined) throw new CheckFailed(mode === 'json' ? '' : failure);
    };
    if (flags.report !== undefined) {
      const answer = await run.runVerifyReport({ file: flags.report, pubkey: flags.pubkey });
      render.renderVerifyReport(mode, answer);
      return fail(answer.failure);
    }
    // Every file argument is checked before the store is opened (a typo is exit 2, not exit 1), in this order.
    run.checkManifestNeedsPubkey(flags);
    const { manifest, pubkey, source } = parseFlags(z.object({
      manifest: featureFlag(run.manifestFlag),
      pubkey: featureFlag(run.pubkeyFlag),
      source: flagOf(z.union([z.boolean(), z.array(z.string())]).optional(), run.sourceFlag),
    }), flags);
    const answer = await run.runVerify({ db: flags.db, manifest, pubkey, source });
    render.renderVerify(mode, answer);
    fail(answer.failure);
  });
}
