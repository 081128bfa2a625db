// Jest's stand-in for compact-worker-path.ts (mapped in jest.config.cjs): under Jest the
// sources run as CommonJS from src/, and a worker cannot run TypeScript, so the worker is
// the one `npm run build` compiled into dist/. `npm test` builds first
// ("pretest"); run `npm run build` before running such a test file on its own.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const script = join(__dirname, '../../../dist/store/compact/load-worker.js');

module.exports = {
  // A getter, so that importing the loader does not need a build; only loading does.
  get compactLoadWorkerUrl() {
    if (!existsSync(script)) throw new Error(`${script} does not exist: run "npm run build" first.`);
    return pathToFileURL(script);
  },
};
