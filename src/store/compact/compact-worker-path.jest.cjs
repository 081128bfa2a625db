// Jest's stand-in for compact-worker-path.ts (mapped in jest.config.cjs): under Jest the
// sources run as CommonJS from src/, and a worker cannot run TypeScript, so the worker is
// the one `npm run build` compiled into dist/. `npm test` builds first
// ("pretest"); run `npm run build` before running such a test file on its own.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

function built(name) {
  const script = join(__dirname, '../../../dist/store/compact', name);
  if (!existsSync(script)) throw new Error(`${script} does not exist: run "npm run build" first.`);
  return pathToFileURL(script);
}

module.exports = {
  // Getters, so that importing the loader does not need a build; only loading does.
  get compactLoadWorkerUrl() {
    return built('load-worker.js');
  },
  get sha256WorkerUrl() {
    return built('sha256-worker.js');
  },
};
