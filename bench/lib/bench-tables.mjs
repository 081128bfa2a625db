// The markdown `npm run bench` prints and saves: medians per server, the ratio to the
// Fastify baseline, and every run so that a reader can see the spread behind a median.
import { median } from './server.mjs';

const TARGET_RATIO = 0.9;
const ms = (value) => (Number.isFinite(value) ? value.toFixed(2) : '-');
const table = (header, rows) =>
  [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');

/** Per server, the median of each figure over its rounds (figures are medians separately). */
export function medianRows(runs, servers) {
  return servers.map((server) => {
    const mine = runs.filter((run) => run.server === server);
    const of = (pick) => median(mine.map(pick));
    return {
      server,
      rounds: mine.length,
      reqPerCpu: of((run) => run.reqPerCpu),
      reqPerSec: of((run) => run.reqPerSec),
      cpuBusy: of((run) => run.cpu / run.seconds),
      p50: of((run) => run.p50),
      p99: of((run) => run.p99),
      p999: of((run) => run.p999),
      failures: mine.reduce((sum, run) => sum + run.errors + run.timeouts, 0),
      missShare: of((run) => run.non2xx / run.requests),
    };
  });
}

export function summaryTable(medians) {
  const base = medians.find((row) => row.server === 'fastify');
  return table(
    [
      'server',
      'req / CPU-s',
      'vs fastify',
      'req/s',
      'server CPU busy',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      '404 share',
      'errors+timeouts',
    ],
    medians.map((row) => [
      row.server,
      Math.round(row.reqPerCpu),
      base ? (row.reqPerCpu / base.reqPerCpu).toFixed(2) : '-',
      Math.round(row.reqPerSec),
      `${Math.round(row.cpuBusy * 100)}%`,
      ms(row.p50),
      ms(row.p99),
      ms(row.p999),
      `${(row.missShare * 100).toFixed(1)}%`,
      row.failures,
    ]),
  );
}

/**
 * The lines CI greps for and people read first: the ratio of the medians, and the ratio
 * within each round (the two servers ran back to back there, so a slow spell of the
 * machine weighs on both) with its median, which drifts less on a noisy machine.
 */
export function targetLines(medians, runs) {
  const lines = [frameworkTargetLines(medians, runs)];
  const roles = medians.find((row) => row.server === 'kv-server-roles');
  const kv = medians.find((row) => row.server === 'kv-server');
  if (roles && kv) {
    // Client roles' own target: look-ups with roles on >= 0.9 x without access control.
    const perRound = roundRatios(runs, 'kv-server-roles', 'kv-server');
    const ratio = roles.reqPerCpu / kv.reqPerCpu;
    lines.push(
      `ratio kv-server-roles/kv-server req per CPU-second (medians): ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
      `ratio within each round: ${perRound.map((r) => r.toFixed(2)).join(', ')}; median ${median(perRound).toFixed(2)}`,
    );
  }
  const snapshot = medians.find((row) => row.server === 'kv-server-snapshot');
  if (snapshot && kv) {
    // No target: the same look-ups served from a snapshot's memory and from a text file's.
    const perRound = roundRatios(runs, 'kv-server-snapshot', 'kv-server');
    lines.push(
      `ratio kv-server-snapshot/kv-server req per CPU-second (medians): ${(snapshot.reqPerCpu / kv.reqPerCpu).toFixed(2)}`,
      `ratio within each round: ${perRound.map((r) => r.toFixed(2)).join(', ')}; median ${median(perRound).toFixed(2)}`,
    );
  }
  return lines.join('\n');
}

function roundRatios(runs, server, base) {
  return [...new Set(runs.map((run) => run.round))].map((round) => {
    const of = (name) => runs.find((run) => run.round === round && run.server === name).reqPerCpu;
    return of(server) / of(base);
  });
}

function frameworkTargetLines(medians, runs) {
  const base = medians.find((row) => row.server === 'fastify');
  const kv = medians.find((row) => row.server === 'kv-server');
  if (!base || !kv) return 'ratio kv-server/fastify: n/a (run both servers to compare)';
  const ratio = kv.reqPerCpu / base.reqPerCpu;
  const perRound = [...new Set(runs.map((run) => run.round))].map((round) => {
    const of = (server) => runs.find((run) => run.round === round && run.server === server).reqPerCpu;
    return of('kv-server') / of('fastify');
  });
  return [
    `ratio kv-server/fastify req per CPU-second (medians): ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'})`,
    `ratio within each round: ${perRound.map((r) => r.toFixed(2)).join(', ')}; median ${median(perRound).toFixed(2)}`,
  ].join('\n');
}

export function runsTable(runs) {
  return table(
    [
      'round',
      'server',
      'requests',
      'seconds',
      'server CPU-s',
      'req / CPU-s',
      'req/s',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'max ms',
      'non-2xx',
      'errors',
      'timeouts',
    ],
    runs.map((run) => [
      run.round,
      run.server,
      run.requests,
      run.seconds.toFixed(2),
      run.cpu.toFixed(2),
      Math.round(run.reqPerCpu),
      Math.round(run.reqPerSec),
      ms(run.p50),
      ms(run.p99),
      ms(run.p999),
      ms(run.max),
      run.non2xx,
      run.errors,
      run.timeouts,
    ]),
  );
}
