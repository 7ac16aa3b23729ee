import type { Command } from 'commander';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish (commands, options, projections, rule ids, presets)')
    .argument('<shell>', 'bash, zsh or fish')
    .action(async (shell: string) => {
      const { completionScript } = await import('../completion.js');
      process.stdout.write(completionScript(shell));
    });
  // What the scripts call for candidates: `evtrail __complete <words typed after evtrail…>`.
  program
    .command('__complete', { hidden: true })
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[]) => {
      const { complete } = await import('../completion.js');
      const candidates = await complete(program, words);
      if (candidates.length) process.stdout.write(candidates.join('\n') + '\n');
    });
}
