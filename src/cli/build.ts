import { rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { MALFORMED_REASON_TEXT } from '../store/line-parser.js';
import { MALFORMED_POLICIES, type MalformedPolicy } from '../store/load-dataset.js';
import { buildSnapshot } from '../store/snapshot/build-snapshot.js';
import { EXIT_OK, parseCommandLine, UsageError, type CliIo, type Command } from './command.js';
import { createProgress } from './progress.js';

const HELP = `Usage: kv-server build INPUT --output FILE [options]

Reads the text data file INPUT with the server's own rules and writes its snapshot to
FILE: the loaded store, which a server reads back without parsing. The file is written
atomically (a temporary file in FILE's directory, then a rename), so a reader never
sees part of it; on any error nothing is written.

Options:
  -o, --output FILE           where to write the snapshot (required)
      --on-malformed POLICY   fail (refuse a file with malformed lines) or skip (leave
                              them out); default: KV_ON_MALFORMED, else fail
      --json                  print the summary as one JSON object
      --no-progress           no progress on stderr (default: a bar on a terminal,
                              a JSON line about every second otherwise)
  -h, --help                  show this help

Exit status: 0 built, 1 the input or output is at fault (the message says how),
2 a usage error.`;

export const buildCommand: Command = {
  name: 'build',
  summary: 'build a snapshot from a text data file',
  help: HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandLine(args, {
      output: { type: 'string', short: 'o' },
      'on-malformed': { type: 'string' },
      json: { type: 'boolean' },
      'no-progress': { type: 'boolean' },
    });
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT_OK;
    }
    if (positionals.length === 0) throw new UsageError('missing INPUT, the text data file to build from');
    if (positionals.length > 1)
      throw new UsageError(`one INPUT expected, got ${positionals.length}: ${positionals.join(' ')}`);
    if (values.output === undefined || values.output === '')
      throw new UsageError('missing --output FILE, where to write the snapshot');
    const input = positionals[0];
    const output = values.output;
    const onMalformed = malformedPolicy(values['on-malformed'] as string | undefined, io.env);
    await refuseToReplaceInput(input, output);

    const startedAt = performance.now();
    const progress = createProgress(io, values['no-progress'] ? 'none' : 'auto');
    const removeOnSignal = removeTemporaryFileOnSignal();
    const { header: snapshot, scan } = await buildSnapshot(input, output, {
      onMalformed,
      onProgress: (report) => progress.update(report),
      onTemporaryFile: removeOnSignal.watch,
    }).finally(() => {
      removeOnSignal.stop();
      progress.stop();
    });
    for (const { line, reason } of scan.malformedSamples) {
      io.stderr.write(`kv-server: skipped malformed line ${line} of ${input}: ${MALFORMED_REASON_TEXT[reason]}\n`);
    }
    const summary = {
      output,
      input,
      keys: snapshot.keys,
      duplicatesOverridden: snapshot.duplicatesOverridden,
      malformedSkipped: snapshot.malformedSkipped,
      lines: snapshot.lines,
      inputBytes: snapshot.sourceBytes,
      snapshotBytes: snapshot.fileBytes,
      version: scan.version,
      durationMs: Math.round(performance.now() - startedAt),
    };
    io.stdout.write(values.json ? `${JSON.stringify(summary)}\n` : describeSummary(summary));
    return EXIT_OK;
  },
};

function describeSummary(s: {
  output: string;
  input: string;
  keys: number;
  duplicatesOverridden: number;
  malformedSkipped: number;
  lines: number;
  inputBytes: number;
  snapshotBytes: number;
  version: string;
  durationMs: number;
}): string {
  return [
    `Built ${s.output} from ${s.input} in ${(s.durationMs / 1000).toFixed(1)} s`,
    `  keys                   ${s.keys}`,
    `  duplicates overridden  ${s.duplicatesOverridden}`,
    `  malformed skipped      ${s.malformedSkipped}`,
    `  lines                  ${s.lines}`,
    `  input bytes            ${s.inputBytes}`,
    `  snapshot bytes         ${s.snapshotBytes}`,
    `  dataset version        ${s.version}`,
    '',
  ].join('\n');
}

/** --on-malformed, else KV_ON_MALFORMED (as the server reads it: case-insensitive, empty is unset), else fail. */
function malformedPolicy(option: string | undefined, env: NodeJS.ProcessEnv): MalformedPolicy {
  const fromEnv = env.KV_ON_MALFORMED === '' ? undefined : env.KV_ON_MALFORMED;
  const [value, where] = option !== undefined ? [option, '--on-malformed'] : [fromEnv, 'KV_ON_MALFORMED'];
  if (value === undefined) return 'fail';
  const policy = MALFORMED_POLICIES.find((p) => p === value.toLowerCase());
  if (!policy) throw new UsageError(`${where}="${value}" is not valid: expected ${MALFORMED_POLICIES.join(' or ')}`);
  return policy;
}

/** Renaming the snapshot over its own input would destroy the text it came from. */
async function refuseToReplaceInput(input: string, output: string): Promise<void> {
  const [a, b] = await Promise.all([stat(input).catch(() => undefined), stat(output).catch(() => undefined)]);
  if (a && b && a.dev === b.dev && a.ino === b.ino) {
    throw new UsageError(`--output "${output}" is the input file itself; write the snapshot elsewhere`);
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A build stopped by Ctrl-C, `kill` or a closed terminal removes its temporary file and
 * exits as the signal would have (128 + its number), so no `.FILE.*.tmp` is left
 * beside FILE. (During the sort the handler runs when the sort ends, a second or two
 * later: the thread is busy until then.)
 */
function removeTemporaryFileOnSignal() {
  let temporary: string | undefined;
  const onSignal = (signal: (typeof SIGNALS)[number]) => {
    if (temporary !== undefined) rmSync(temporary, { force: true });
    process.exit(128 + osConstants.signals[signal]);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    watch: (path: string) => (temporary = path),
    stop: () => SIGNALS.forEach((signal) => process.off(signal, onSignal)),
  };
}
