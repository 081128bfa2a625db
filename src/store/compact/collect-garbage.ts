import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * One full garbage collection, the only way to free a SharedArrayBuffer soon. V8
 * collects when this thread's heap or external memory grows, and the next dataset
 * grows in the loader's thread: measured, a dropped 800 MB one was still resident
 * seconds later, and back-to-back reloads of a 10M-line file peaked at three datasets.
 * 35-40 ms for the service's heap, once per shared store released (and once at exit:
 * lifecycle/graceful-shutdown.ts). `--expose-gc` set at run time installs `gc` in new
 * contexts only; if the runtime refuses, the memory waits for a collection V8
 * schedules itself.
 */
export function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // Freed later, by a collection V8 schedules itself.
  }
}
