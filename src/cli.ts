#!/usr/bin/env node
/**
 * The `kv-server` command (the package's bin): offline tools around the data files.
 * Plain Node, no Nest, so that it starts at once. One file per command in src/cli/;
 * this file only dispatches.
 */
import { buildCommand } from './cli/build.js';
import { hashKeyCommand } from './cli/hash-key.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIo, type Command } from './cli/command.js';
import { inspectCommand } from './cli/inspect.js';
import { publishCommand, PublishError } from './cli/publish.js';
import { DatasetLoadError } from './store/load-dataset.js';
import { SnapshotWriteError } from './store/snapshot/write-snapshot.js';

const COMMANDS: readonly Command[] = [buildCommand, inspectCommand, publishCommand, hashKeyCommand];

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Usage: kv-server COMMAND [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run "kv-server COMMAND --help" for a command\'s options. The server itself is "node dist/main.js".',
    '',
  ].join('\n');
}

export async function runCli(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    io.stderr.write(overview());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const command = COMMANDS.find((c) => c.name === rest[0]);
    io.stdout.write(command ? `${command.help}\n` : overview());
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`kv-server: unknown command "${name}"\n\n${overview()}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(
        `kv-server ${command.name}: ${error.message}\nRun "kv-server ${command.name} --help" for usage.\n`,
      );
      return EXIT_USAGE;
    }
    // What the data or the file system did wrong, in the server's own words; anything
    // else is a bug, reported as such (still without a stack trace).
    const known =
      error instanceof DatasetLoadError || error instanceof SnapshotWriteError || error instanceof PublishError;
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`kv-server: ${known ? message : `unexpected error: ${message}`}\n`);
    return EXIT_FAILURE;
  }
}

// A reader that went away (`| head`) or a full disk (`> /dev/full`) makes writes fail
// with an 'error' event, which unhandled would crash with a stack trace. The work is
// done (a snapshot is renamed into place before its summary is printed); only its
// report is lost: said in one line, with exit status 1, unless the pipe just closed.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') return;
  process.stderr.write(`kv-server: cannot write to standard output: ${error.code ?? error.message}\n`);
  process.exitCode = EXIT_FAILURE;
});
process.stderr.on('error', () => {
  process.exitCode = EXIT_FAILURE;
});

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
}).then(
  (code) => {
    // A failed write of the output may have set it already.
    process.exitCode = Math.max(code, Number(process.exitCode ?? 0));
  },
  (error: unknown) => {
    process.stderr.write(`kv-server: unexpected error: ${String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
