// What a one-measurement child process reports about itself: its memory and how late
// its event loop ran, the same way in bench:load and bench:snapshots.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';

/** VmRSS and VmHWM (peak) of this process, in bytes. */
export function memory() {
  const status = readFileSync('/proc/self/status', 'utf8');
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)[1]) * 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/**
 * Starts timing how late an `intervalMs` timer fires; `stop()` ends it and returns the
 * longest delay in ms. Call stop right after the work: a load that never yields leaves
 * the timer silent until then, and stop counts that stretch too.
 */
export function startLoopLagProbe(intervalMs = 10) {
  let maxLagMs = 0;
  let expected = performance.now() + intervalMs;
  const probe = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - expected);
    expected = now + intervalMs;
  }, intervalMs);
  return {
    stop() {
      clearInterval(probe);
      return Math.max(maxLagMs, performance.now() - expected);
    },
  };
}
