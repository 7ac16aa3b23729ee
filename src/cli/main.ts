import { installInterruptHandler } from '../core/interrupt.js';

// First, so that a Ctrl-C even while the program loads ends it with evtrail's exit code.
installInterruptHandler();
// Colour, decided before chalk (and ink, through it) loads and reads its level once:
// --no-color anywhere on the line or NO_COLOR (any non-empty value, no-color.org) turn it off,
// FORCE_COLOR forces it. --no-color is taken off the line here, so every command accepts it.
if (process.argv.includes('--no-color')) {
  process.env.FORCE_COLOR = '0';
  process.argv = process.argv.filter((a) => a !== '--no-color');
} else if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) {
  process.env.FORCE_COLOR = '0';
}
const { runCli } = await import('./run.js');
await runCli(process.argv);
