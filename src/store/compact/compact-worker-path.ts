/**
 * The worker scripts: the loader's, and its hashing thread's. The service runs the tsc output from dist/ as native ES
 * modules, where the worker's compiled file sits beside this one.
 *
 * Jest runs the TypeScript sources as CommonJS through swc, where this URL would point
 * into src/, at a .js file that does not exist, and a worker cannot run TypeScript.
 * jest.config.cjs therefore maps this module to compact-worker-path.jest.cjs, which
 * points at the built worker in dist/ (`npm test` builds first, in "pretest").
 */
export const compactLoadWorkerUrl: URL = new URL('./load-worker.js', import.meta.url);
/** The hashing thread of a text load (file-sha256.ts). */
export const sha256WorkerUrl: URL = new URL('./sha256-worker.js', import.meta.url);
