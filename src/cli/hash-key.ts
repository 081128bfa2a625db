import { sha256Hex } from '../access/client-role.js';
import { EXIT_FAILURE, EXIT_OK, parseCommandLine, UsageError, type CliIo, type Command } from './command.js';

const HELP = `Usage: kv-server hash-key < FILE
       printf %s 'API KEY' | kv-server hash-key

Reads one API key from standard input and prints its SHA-256 (64 hex digits), the
keySha256 of a client in the access file (KV_ACCESS_FILE). The key is read from
standard input, never from an argument, so that it shows in no process list or shell
history. One trailing newline is ignored; a key holding whitespace cannot be sent as
a bearer token and is refused.

Options:
  -h, --help   show this help

Exit status: 0 printed, 1 no usable key on standard input, 2 a usage error.`;

export const hashKeyCommand: Command = {
  name: 'hash-key',
  summary: 'print the SHA-256 of an API key read from standard input, for the access file',
  help: HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandLine(args, {});
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT_OK;
    }
    if (positionals.length > 0) {
      throw new UsageError('the key is read from standard input, not from an argument (arguments show in ps)');
    }
    if (io.stdin === undefined) throw new UsageError('no standard input to read the key from');
    const key = (await readAll(io.stdin)).replace(/\r?\n$/, '');
    if (key === '' || /\s/.test(key)) {
      io.stderr.write(
        `kv-server hash-key: ${key === '' ? 'no key on standard input' : 'the key holds whitespace, which a bearer token cannot'}\n`,
      );
      return EXIT_FAILURE;
    }
    io.stdout.write(`${sha256Hex(key)}\n`);
    return EXIT_OK;
  },
};

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
