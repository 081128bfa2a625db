/**
 * The server's entry point. It starts loading the data file first, then imports the
 * application: the framework's imports take most of a second, and the loader worker
 * reads the file meanwhile on another core (see dataset/first-load.ts). Compiled code
 * is cached on disk (NODE_COMPILE_CACHE, or the system's temporary folder), which makes
 * those imports faster from the second start on.
 */
import * as nodeModule from 'node:module';
import { startFirstLoad } from './dataset/first-load.js';

// Node.js 22.1 and later; the development machines still run Node.js 20.
nodeModule.enableCompileCache?.();
// Until the reload triggers listen (once the port opens), SIGHUP would end the process
// (Node's default). Before that it has nothing to do: the first load reads the newest
// file, or downloads the newest version, already.
process.on('SIGHUP', () => undefined);
startFirstLoad(process.env);
await import('./server.js');
