import type { Command, Option } from 'commander';
import { UserError } from '../core/errors.js';

/**
 * Shell completion. The scripts are thin: each asks `evtrail __complete <words…>` (the words
 * typed after `evtrail`, the last one being completed) for the candidates, one a line, so the
 * commands and options always come from the program itself and the dynamic parts (projection
 * names, rule ids, preset names) from what this evtrail holds. A first line `__files__` asks the
 * shell to complete file names instead.
 */
const FILES = '__files__';

const SCRIPTS: Record<string, string> = {
  bash: `# evtrail completion for bash: source it, or save it as
# ~/.local/share/bash-completion/completions/evtrail
_evtrail_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" IFS=$'\\n' out
  out=$(evtrail __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  if [[ "$out" == ${FILES}* ]]; then
    COMPREPLY=($(compgen -f -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$out" -- "$cur"))
  fi
}
complete -o default -F _evtrail_complete evtrail
`,
  zsh: `#compdef evtrail
# evtrail completion for zsh: save it as _evtrail in a folder of $fpath (or source it)
_evtrail() {
  local out
  out=$(evtrail __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)
  if [[ $out == ${FILES}* ]]; then _files; return; fi
  local -a candidates
  candidates=(\${(f)out})
  compadd -- $candidates
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _evtrail "$@"; else compdef _evtrail evtrail; fi
`,
  fish: `# evtrail completion for fish: save it as ~/.config/fish/completions/evtrail.fish
function __evtrail_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out (evtrail __complete $words[2..-1] 2>/dev/null)
    if test "$out[1]" = ${FILES}
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $out
    end
end
complete -c evtrail -f -a '(__evtrail_complete)'
`,
};

export function completionScript(shell: string): string {
  const script = SCRIPTS[shell];
  if (!script) throw new UserError(`completion ${shell}: unknown shell`, 'evtrail completion bash, zsh or fish');
  return script;
}

const BUILTIN_PROJECTIONS = ['streams', 'orders', 'positions', 'book'];
const PRESETS: Record<string, string[]> = { ingest: ['canonical', 'cloudevents', 'lobster', 'messagedb', 'marten', 'emmett', 'table'] };
const FORMATS: Record<string, string[]> = { ingest: ['ndjson', 'json', 'csv', 'parquet'], export: ['ndjson', 'parquet'] };
const COMPAT_MODES = ['BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE'];

const takesValue = (o: Option): boolean => o.required || o.optional;
const findOption = (command: Command, flag: string): Option | undefined => command.options.find((o) => o.long === flag || o.short === flag);

/** The candidates for the last of `words` (typed after `evtrail`), one a line. */
export async function complete(program: Command, words: string[]): Promise<string[]> {
  const current = words.at(-1) ?? '';
  let command = program;
  let value: Option | undefined;
  for (const word of words.slice(0, -1)) {
    if (value) {
      value = undefined;
      continue;
    }
    if (word.startsWith('-')) {
      const option = word.includes('=') ? undefined : findOption(command, word);
      if (option && takesValue(option)) value = option;
      continue;
    }
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) command = sub;
  }
  if (value) return optionValues(command, value, current);
  if (current.startsWith('-')) {
    return [...command.options.filter((o) => !o.hidden && o.long).map((o) => o.long!), '--help'];
  }
  const subcommands = command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name());
  if (subcommands.length) return subcommands;
  if (command.name() === 'completion') return Object.keys(SCRIPTS);
  // A command's arguments: sources for ingest, SQL or ids for the others; files are the best guess.
  return command.name() === 'ingest' ? [FILES] : [];
}

async function optionValues(command: Command, option: Option, current: string): Promise<string[]> {
  if (option.argChoices) return option.argChoices;
  const name = option.long;
  if (name === '--projection') return /^[./~]/.test(current) ? [FILES] : BUILTIN_PROJECTIONS;
  if (name === '--preset') return PRESETS[command.name()] ?? PRESETS.ingest!;
  if (name === '--format' && FORMATS[command.name()]) return FORMATS[command.name()]!;
  if (name === '--mode' && command.name() === 'compat') return COMPAT_MODES;
  if (name === '--fail-on') return ['error', 'warning', 'info', 'none'];
  if (name === '--partition-by') return listOf(['date', 'hour', 'type', 'source'], current);
  if (name === '--only' || name === '--explain' || name === '--param') {
    const { loadCatalog } = await import('../audit/catalog.js');
    const rules = loadCatalog().rules;
    if (name === '--explain') return rules.map((r) => r.id);
    if (name === '--only') return listOf(rules.map((r) => r.id), current);
    return rules.flatMap((r) => r.params.map((p) => `${r.id}.${p.name}=`));
  }
  if (name === '--pack') {
    const { loadCatalog } = await import('../audit/catalog.js');
    return listOf(loadCatalog().packs.map((p) => p.id), current);
  }
  return [FILES];
}

/** A comma-separated list: the part typed so far, followed by each value not yet in it. */
function listOf(values: string[], current: string): string[] {
  const at = current.lastIndexOf(',');
  const head = at >= 0 ? current.slice(0, at + 1) : '';
  const taken = new Set(head.split(',').filter(Boolean));
  return values.filter((v) => !taken.has(v)).map((v) => head + v);
}
