import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { describeFileError, MKDIR_ERROR_TEXT } from '../store/file-errors.js';
import { openForReading } from '../store/load-dataset.js';
import { readHeader, readStart, SNIFF_BYTES, verifySnapshot } from '../store/snapshot/read-snapshot.js';
import { looksLikeSnapshot } from '../store/snapshot/snapshot-format.js';
import { EXIT_OK, parseCommandLine, UsageError, type CliIo, type Command } from './command.js';

const HELP = `Usage: kv-server publish DATAFILE --dir DIR [options]

Publishes a data file (text or snapshot) for replicas that follow a manifest
(KV_MANIFEST_URL): copies it into DIR under a name made of its content's SHA-256
(<first 16 hex digits>.kvs for a snapshot, .data for a text file), then rewrites the
manifest, each atomically (a temporary file, then a rename), in that order. A web
server serving DIR, or a sync of DIR to an object store that uploads the data file
before the manifest, is then a source: a replica never sees a half-written version.
Publishing an older file again is a rollback. A snapshot is verified first (as
"kv-server inspect" does): a damaged one is refused, not sent to the fleet.

Options:
      --dir DIR          the published directory (created when missing)
      --manifest NAME    the manifest's file name in DIR (default: current.json)
      --version LABEL    the manifest's "version", a label the replicas log
  -h, --help             show this help

Exit status: 0 published, 1 a damaged snapshot, or a file that could not be read or
written, 2 a usage error.`;

export class PublishError extends Error {
  override readonly name = 'PublishError';
}

export const publishCommand: Command = {
  name: 'publish',
  summary: 'copy a data file into a directory by its checksum, then point the manifest at it',
  help: HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandLine(args, {
      dir: { type: 'string' },
      manifest: { type: 'string' },
      version: { type: 'string' },
    });
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT_OK;
    }
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0 ? 'missing DATAFILE, the file to publish' : 'one DATAFILE expected',
      );
    }
    if (values.dir === undefined || values.dir === '') throw new UsageError('missing --dir DIR, where to publish');
    const manifestName = values.manifest ?? 'current.json';
    if (
      manifestName === '' ||
      manifestName === '.' ||
      manifestName === '..' ||
      manifestName.includes('/') ||
      manifestName.includes(sep)
    ) {
      throw new UsageError(`--manifest ${JSON.stringify(manifestName)} must be a file name inside --dir`);
    }
    const [input] = positionals;
    const { sha256, start, bytes } = await digest(input);
    // Damaged in its magic bytes too: the server would refuse it, so publishing must.
    const snapshot = looksLikeSnapshot(start, bytes);
    if (snapshot) await verify(input, bytes);
    const name = `${sha256.slice(0, 16)}.${snapshot ? 'kvs' : 'data'}`;
    const dir = values.dir;
    await attempt(`cannot create the directory ${dir}`, () => mkdir(dir, { recursive: true }), MKDIR_ERROR_TEXT);
    const dataPath = join(dir, name);
    const manifestPath = join(dir, manifestName);
    await writeAtomically(dataPath, (temporary) => copyFile(input, temporary));
    const manifest: Record<string, string> = {
      url: relative(dirname(manifestPath), dataPath).split(sep).join('/'),
      sha256,
    };
    if (values.version !== undefined) manifest.version = values.version;
    await writeAtomically(manifestPath, async (temporary) => {
      const file = await open(temporary, 'w');
      try {
        await file.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
      } finally {
        await file.close();
      }
    });
    io.stdout.write(
      `Published ${input} as ${dataPath} (${snapshot ? 'snapshot' : 'text'}, ${bytes} bytes, SHA-256 ${sha256}); ` +
        `${manifestPath} names it${values.version === undefined ? '' : ` as version ${values.version}`}\n`,
    );
    return EXIT_OK;
  },
};

/** The SHA-256 and first bytes of the file, read once as a stream. */
async function digest(path: string): Promise<{ sha256: string; start: Buffer; bytes: number }> {
  const info = await attempt(`cannot read ${path}`, () => stat(path));
  if (!info.isFile()) throw new PublishError(`cannot publish ${path}: not a regular file`);
  const hash = createHash('sha256');
  let start = Buffer.alloc(0);
  await attempt(`cannot read ${path}`, async () => {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      if (start.length < SNIFF_BYTES) start = Buffer.concat([start, chunk.subarray(0, SNIFF_BYTES - start.length)]);
      hash.update(chunk);
    }
  });
  return { sha256: hash.digest('hex'), start, bytes: info.size };
}

/** Every checksum of a snapshot, as `kv-server inspect` checks them; throws the server's own refusal. */
async function verify(path: string, bytes: number): Promise<void> {
  const file = await openForReading(path);
  try {
    await verifySnapshot(path, file, await readHeader(path, file, bytes, await readStart(file, bytes)));
  } finally {
    await file.close();
  }
}

/** Writes through a temporary file in the same directory, flushed, then renamed over the target. */
async function writeAtomically(target: string, write: (temporary: string) => Promise<void>): Promise<void> {
  const temporary = join(dirname(target), `.${randomUUID()}.tmp`);
  try {
    await attempt(`cannot write ${target}`, async () => {
      await write(temporary);
      const file = await open(temporary, 'r+');
      try {
        await file.datasync();
      } finally {
        await file.close();
      }
      await rename(temporary, target);
    });
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function attempt<T>(what: string, action: () => Promise<T>, overrides?: Record<string, string>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new PublishError(`${what}: ${describeFileError(error, overrides)}`);
  }
}
