import { installInterruptHandler } from './interrupt.js';

// First, so that a Ctrl-C even while the program loads ends it with evtrail's exit code.
installInterruptHandler();
const { runCli } = await import('./run.js');
await runCli(process.argv);
