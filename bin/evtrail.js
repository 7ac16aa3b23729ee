#!/usr/bin/env node
// Starts the built CLI (npm run build writes dist/).
import('../dist/cli/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('evtrail: not built yet\nhint: run npm install (or npm run build) in the evtrail folder\n');
    process.exit(3);
  }
  throw error;
});
