import { SingleBar } from 'cli-progress';
import type { CliIo } from './command.js';

export interface ProgressReport {
  phase: 'reading' | 'indexing' | 'writing' | 'verifying';
  bytes: number;
  totalBytes: number;
  lines?: number;
}

export interface Progress {
  update(report: ProgressReport): void;
  stop(): void;
}

/** Non-TTY progress comes at most this often, as one JSON line on stderr. */
const JSON_INTERVAL_MS = 1000;
const MiB = 1024 * 1024;

/**
 * Progress on stderr: a bar (cli-progress) when stderr is a terminal, otherwise a JSON
 * line about every second, which a log collector can read. stdout keeps the summary.
 */
export function createProgress(io: CliIo, mode: 'auto' | 'none' = 'auto'): Progress {
  if (mode === 'none') return { update: () => {}, stop: () => {} };
  return io.stderr.isTTY ? barProgress(io) : jsonProgress(io);
}

function barProgress(io: CliIo): Progress {
  const bar = new SingleBar({
    stream: io.stderr,
    format: '{phase} [{bar}] {percentage}% | {done}/{all} MiB | {lines} lines | {duration_formatted}',
    barsize: 30,
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update({ phase, bytes, totalBytes, lines }) {
      const payload = {
        phase: phase.padEnd(9),
        done: Math.round(bytes / MiB),
        all: Math.round(totalBytes / MiB),
        lines: lines ?? '-',
      };
      if (!started) {
        started = true;
        bar.start(Math.max(totalBytes, 1), bytes, payload);
      } else {
        bar.setTotal(Math.max(totalBytes, 1));
        bar.update(bytes, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function jsonProgress(io: CliIo): Progress {
  const startedAt = Date.now();
  let lastAt = startedAt;
  let lastPhase = '';
  /**
   * The latest report held back by the throttle: written when the next phase starts and
   * at the end, so that each phase's last line is its final count; a newer report of the
   * same phase replaces it.
   */
  let unwritten: { report: ProgressReport; at: number } | undefined;
  const write = (report: ProgressReport, at: number) =>
    io.stderr.write(`${JSON.stringify({ ...report, elapsedMs: at - startedAt })}\n`);
  return {
    update(report) {
      const now = Date.now();
      // A new phase is reported at once, the rest about every second.
      if (report.phase === lastPhase && now - lastAt < JSON_INTERVAL_MS) {
        unwritten = { report, at: now };
        return;
      }
      if (unwritten && unwritten.report.phase !== report.phase) write(unwritten.report, unwritten.at);
      unwritten = undefined;
      lastAt = now;
      lastPhase = report.phase;
      write(report, now);
    },
    stop() {
      if (unwritten) write(unwritten.report, unwritten.at);
      unwritten = undefined;
    },
  };
}
