// Load with autocannon, recording every response itself (autocannon's own histogram keeps
// 2xx only and rounds). Connections open all at once, or ramp up through staggered
// autocannon instances that all stop together, like Locust's spawn rate.
import autocannon from 'autocannon';
import { setImmediate, setInterval, clearInterval } from 'node:timers';

/**
 * Opening a connection blocks this process for about 0.3-0.8 ms, and the first request of
 * every connection is timed from its creation, so one instance of 1000 connections would
 * add up to a second of the load generator's own work to 1000 latencies. Instances of at
 * most this many connections, started one event-loop turn apart, keep that under ~80 ms
 * while the connections still open as fast as this process can open them.
 */
const CONNECTIONS_PER_INSTANCE = 100;

/**
 * When connections open: all at 0 s, or, with a ramp-up, in about one step per second from
 * 0 s to `rampUpSeconds`, so that all `connections` are open by then.
 */
export function rampPlan(connections, rampUpSeconds) {
  const steps = rampUpSeconds > 0 ? Math.min(connections, Math.max(2, Math.ceil(rampUpSeconds) + 1)) : 1;
  return Array.from({ length: steps }, (_, i) => ({
    startSeconds: steps === 1 ? 0 : (rampUpSeconds * i) / (steps - 1),
    connections: Math.floor(connections / steps) + (i < connections % steps ? 1 : 0),
  }));
}

/** A step's connections as instance sizes: [50, 50, ..., remainder]. */
function batches(connections) {
  const sizes = [];
  for (let left = connections; left > 0; left -= CONNECTIONS_PER_INSTANCE)
    sizes.push(Math.min(left, CONNECTIONS_PER_INSTANCE));
  return sizes;
}

/**
 * Runs `connections` connections against `url` for `durationSeconds` (ramp-up included),
 * each asking for random `keys` (GET /keys/<key>), into `recorder`. Resolves with
 * autocannon's own totals (errors, timeouts, non2xx) as a cross-check, and how long
 * opening the connections took.
 */
export async function runLoad({
  url,
  keys,
  connections,
  durationSeconds,
  rampUpSeconds = 0,
  timeoutSeconds = 10,
  headers = {},
  recorder,
  progress = () => {},
}) {
  if (rampUpSeconds >= durationSeconds) throw new Error('--ramp-up must be shorter than --duration');
  const origin = new URL(url).origin;
  const setupRequest = (request) => ({ ...request, path: `/keys/${keys[Math.floor(Math.random() * keys.length)]}` });
  const startedAt = performance.now();
  recorder.startedAt = startedAt;
  recorder.stopAt(startedAt + durationSeconds * 1000);

  const instances = [];
  const finished = [];
  const timers = [];
  const opening = { longestBlockMs: 0, firstStepMs: 0 };

  function startInstance(size, startSeconds) {
    const blockStarted = performance.now();
    const instance = autocannon({
      url: origin,
      connections: size,
      // Stopped by us when the run ends; the margin only bounds a stop that never comes.
      duration: durationSeconds - startSeconds + 5,
      timeout: timeoutSeconds,
      // autocannon only stops at a sample tick: 100 ms makes the end prompt.
      sampleInt: 100,
      headers,
      requests: [{ setupRequest }],
    });
    opening.longestBlockMs = Math.max(opening.longestBlockMs, performance.now() - blockStarted);
    instance.on('response', (_client, statusCode, _bytes, ms) => recorder.response(statusCode, ms));
    instance.on('reqError', (error) => recorder.error(error));
    instances.push(instance);
    finished.push(new Promise((resolve) => instance.once('done', resolve)));
  }

  const plan = rampPlan(connections, rampUpSeconds);
  const allStarted = plan.map(
    (step, index) =>
      new Promise((resolve) => {
        timers.push(
          setTimeout(() => {
            const stepStarted = performance.now();
            const sizes = batches(step.connections);
            // One instance per event-loop turn, so responses are read between them.
            const next = (i) => {
              if (i === sizes.length) {
                if (index === 0) opening.firstStepMs = performance.now() - stepStarted;
                return resolve();
              }
              startInstance(sizes[i], step.startSeconds);
              setImmediate(next, i + 1);
            };
            next(0);
          }, step.startSeconds * 1000),
        );
      }),
  );

  const progressTimer = setInterval(() => progress(recorder), 5000);
  const stopTimer = setTimeout(() => instances.forEach((instance) => instance.stop()), durationSeconds * 1000);
  try {
    await Promise.all(allStarted);
    const results = await Promise.all(finished);
    return {
      instances: results.length,
      // All at once: how long opening every connection took; ramped: the first step's.
      openingMs: Math.round(opening.firstStepMs),
      longestBlockMs: Math.round(opening.longestBlockMs),
      errors: sum(results, 'errors'),
      timeouts: sum(results, 'timeouts'),
      non2xx: sum(results, 'non2xx'),
    };
  } finally {
    clearInterval(progressTimer);
    clearTimeout(stopTimer);
    timers.forEach(clearTimeout);
  }
}

const sum = (results, field) => results.reduce((total, result) => total + (result[field] ?? 0), 0);
