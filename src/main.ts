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
startFirstLoad(process.env);
await import('./server.js');
