import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes; the tests and the real process pass different streams. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Where a command reads secrets from (hash-key), never from its arguments. */
  stdin?: NodeJS.ReadableStream;
}

export interface Command {
  name: string;
  /** One line for `kv-server --help`. */
  summary: string;
  /** The whole of `kv-server NAME --help`. */
  help: string;
  /** Resolves with the exit code. Throws UsageError for bad arguments, DatasetLoadError and the like for bad data. */
  run(args: string[], io: CliIo): Promise<number>;
}

export const EXIT_OK = 0;
/** The data or a file is at fault: the message says what. */
export const EXIT_FAILURE = 1;
/** The command line is at fault. */
export const EXIT_USAGE = 2;

/** A mistake on the command line; the dispatcher prints it with a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util's parseArgs, strict, with its errors turned into UsageErrors (its own
 * messages name the option: "Unknown option '--frobnicate'").
 */
export function parseCommandLine<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
