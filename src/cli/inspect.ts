import { stat } from 'node:fs/promises';
import { assertRegularFile, datasetVersion, DatasetLoadError, openForReading } from '../store/load-dataset.js';
import { readHeader, readStart, verifySnapshot } from '../store/snapshot/read-snapshot.js';
import { formatTraits, SECTION_NAMES, type SnapshotHeader } from '../store/snapshot/snapshot-format.js';
import { EXIT_OK, parseCommandLine, UsageError, type CliIo, type Command } from './command.js';
import { createProgress } from './progress.js';

const HELP = `Usage: kv-server inspect FILE [options]

Prints a snapshot's header (format version, keys, bytes, dataset version, the source
file's name, size and SHA-256, the build time) and verifies the checksums of the header
and of every section. A damaged or unknown file is reported, with exit status 1.

Options:
      --json          print the header as one JSON object
      --no-progress   no progress on stderr while the checksums are verified
  -h, --help          show this help

Exit status: 0 intact, 1 not a snapshot, damaged or unreadable, 2 a usage error.`;

export const inspectCommand: Command = {
  name: 'inspect',
  summary: "print a snapshot's header and verify its checksums",
  help: HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandLine(args, {
      json: { type: 'boolean' },
      'no-progress': { type: 'boolean' },
    });
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT_OK;
    }
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'missing FILE, the snapshot to inspect' : 'one FILE expected');
    }
    const path = positionals[0];
    await assertSnapshotIsAFile(path);
    const file = await openForReading(path);
    let header: SnapshotHeader;
    const progress = createProgress(io, values['no-progress'] ? 'none' : 'auto');
    try {
      const fileBytes = (await file.stat()).size;
      header = await readHeader(path, file, fileBytes, await readStart(file, fileBytes));
      await verifySnapshot(path, file, header, ({ bytes, totalBytes }) =>
        progress.update({ phase: 'verifying', bytes, totalBytes }),
      );
    } finally {
      progress.stop();
      await file.close();
    }
    const algorithm = formatTraits(header.formatVersion).sectionChecksum;
    const report = {
      file: path,
      formatVersion: header.formatVersion,
      keys: header.keys,
      bytes: header.fileBytes,
      version: datasetVersion(header.sourceSha256),
      source: { name: header.sourceName, bytes: header.sourceBytes, sha256: header.sourceSha256 },
      lines: header.lines,
      duplicatesOverridden: header.duplicatesOverridden,
      malformedSkipped: header.malformedSkipped,
      builtAt: new Date(header.builtAt).toISOString(),
      checksum: algorithm,
      sections: header.sections.map(({ kind, offset, length, checksum }) => ({
        name: SECTION_NAMES[kind],
        offset,
        length,
        checksum: checksum.toString(16).padStart(algorithm === 'xxh64' ? 16 : 8, '0'),
      })),
      checksums: 'ok',
    };
    io.stdout.write(values.json ? `${JSON.stringify(report)}\n` : describe(report));
    return EXIT_OK;
  },
};

function describe(r: {
  file: string;
  formatVersion: number;
  keys: number;
  bytes: number;
  version: string;
  source: { name: string; bytes: number; sha256: string };
  lines: number;
  duplicatesOverridden: number;
  malformedSkipped: number;
  builtAt: string;
  checksum: string;
  sections: unknown[];
}): string {
  return [
    `Snapshot ${r.file}`,
    `  format version         ${r.formatVersion}`,
    `  keys                   ${r.keys}`,
    `  bytes                  ${r.bytes}`,
    `  dataset version        ${r.version}`,
    `  source                 ${r.source.name}, ${r.source.bytes} bytes`,
    `  source sha256          ${r.source.sha256}`,
    `  lines                  ${r.lines}`,
    `  duplicates overridden  ${r.duplicatesOverridden}`,
    `  malformed skipped      ${r.malformedSkipped}`,
    `  built at               ${r.builtAt}`,
    `  checksums              ok (header and ${r.sections.length} sections, ${r.checksum})`,
    '',
  ].join('\n');
}

/** Before opening (a FIFO would block): a directory or device is not what inspect reads. */
async function assertSnapshotIsAFile(path: string): Promise<void> {
  const stats = await stat(path).catch(() => undefined);
  if (stats !== undefined && !stats.isFile()) {
    const kind = stats.isDirectory() ? 'a directory' : 'not a regular file';
    throw new DatasetLoadError(`Cannot inspect "${path}": it is ${kind}; expected a snapshot file.`);
  }
  // Missing or unreadable: the loader's own words.
  await assertRegularFile(path);
}
