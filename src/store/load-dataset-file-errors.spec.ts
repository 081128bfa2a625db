import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  constants,
  openSync,
  renameSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { chmod, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetLoadError, loadDataset, scanDataFile } from './load-dataset.js';
import { dir, rejection, useDataDir, writeData } from './load-dataset.test-helpers.js';

/**
 * The data files loadDataset and scanDataFile refuse: missing, not a regular file,
 * unreadable, or written to while they are read.
 */

useDataDir();

describe('loadDataset: files that cannot be loaded', () => {
  it('refuses a missing file', async () => {
    const path = join(dir, 'does-not-exist.txt');
    const { message } = await rejection(loadDataset(path, { onMalformed: 'skip' }));
    expect(message).toContain(path);
    expect(message).toMatch(/no such file|ENOENT/i);
  });

  it('refuses a path through a missing directory', async () => {
    const path = join(dir, 'no-dir', 'data.txt');
    const { message } = await rejection(loadDataset(path, { onMalformed: 'skip' }));
    expect(message).toContain(path);
  });

  it('refuses a dangling symbolic link', async () => {
    const path = join(dir, 'dangling-link');
    await symlink(join(dir, 'nowhere.txt'), path);
    const { message } = await rejection(loadDataset(path, { onMalformed: 'skip' }));
    expect(message).toContain(path);
  });

  it('follows a symbolic link to a regular file', async () => {
    const target = await writeData('k v\n');
    const link = join(dir, 'good-link');
    await symlink(target, link);
    const dataset = await loadDataset(link, { onMalformed: 'fail' });
    expect(dataset.store.get('k')).toBe('v');
  });

  it('refuses a directory', async () => {
    const path = join(dir, 'a-directory');
    await mkdir(path);
    const { message } = await rejection(loadDataset(path, { onMalformed: 'skip' }));
    expect(message).toContain(path);
    expect(message).toMatch(/directory/i);
  });

  it('refuses a FIFO without blocking on it', async () => {
    const path = join(dir, 'a-fifo');
    execFileSync('mkfifo', [path]);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Unblock a reader stuck in open() so that the failure is reported instead of hanging Jest.
        try {
          closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // no reader: nothing to unblock
        }
        reject(new Error('loadDataset blocked on a FIFO'));
      }, 2000);
    });
    try {
      const { message } = await rejection(Promise.race([loadDataset(path, { onMalformed: 'skip' }), timeout]));
      expect(message).toContain(path);
      expect(message).toMatch(/regular file|fifo|pipe/i);
    } finally {
      clearTimeout(timer);
    }
  });

  it('refuses an unreadable file', async () => {
    const path = await writeData('k v\n');
    await chmod(path, 0o000);
    const { message } = await rejection(loadAsUnprivileged(path));
    expect(message).toContain(path);
    expect(message).toMatch(/permission denied|EACCES/i);
  });
});

describe('scanDataFile: a file written to while it is read', () => {
  const lines = Array.from({ length: 2000 }, (_, i) => `key-${i} value ${i}\n`).join('');

  it('is refused when it grows, naming the sizes and how to publish', async () => {
    const path = await writeData(lines);
    let appended = false;
    const scan = scanDataFile(path, {
      onMalformed: 'fail',
      readSize: 1024,
      onEntry: () => undefined,
      onChunk: () => {
        if (!appended) appendFileSync(path, 'late 1\n');
        appended = true;
      },
    });
    const { message } = await rejection(scan);
    expect(message).toContain(path);
    expect(message).toContain(`changed while it was being read (${Buffer.byteLength(lines)} bytes when opened, `);
    expect(message).toMatch(/renaming it over it/);
  });

  it('is refused when it shrinks', async () => {
    const path = await writeData(lines);
    let truncated = false;
    const scan = scanDataFile(path, {
      onMalformed: 'fail',
      readSize: 1024,
      onEntry: () => undefined,
      onChunk: () => {
        if (!truncated) truncateSync(path, 100);
        truncated = true;
      },
    });
    expect((await rejection(scan)).message).toMatch(/changed while it was being read/);
  });

  it('is refused when it is rewritten in place to the same length', async () => {
    const path = await writeData(lines);
    // File times are coarse (a few ms): the rewrite must fall in a later tick than the write.
    await new Promise((resolve) => setTimeout(resolve, 30));
    let rewritten = false;
    const scan = scanDataFile(path, {
      onMalformed: 'fail',
      readSize: 1024,
      onEntry: () => undefined,
      onChunk: () => {
        if (rewritten) return;
        rewritten = true;
        const fd = openSync(path, 'r+');
        writeSync(fd, 'kex-0');
        closeSync(fd);
      },
    });
    expect((await rejection(scan)).message).toMatch(/changed while it was being read \(modified during the read\)/);
  });
});

/**
 * loadDataset of `path` where the file's mode applies. root reads a file whatever its
 * mode (and CI runs as root), so there the load runs from the build (`npm test` builds
 * first) in a child process without root's capabilities to override file permissions:
 * `setpriv` of util-linux, which Debian always has.
 */
async function loadAsUnprivileged(path: string): Promise<unknown> {
  if (process.getuid?.() !== 0) return loadDataset(path, { onMalformed: 'skip' });
  const loader = join(__dirname, '../../dist/store/load-dataset.js');
  const script = `import(${JSON.stringify(loader)}).then((m) => m.loadDataset(${JSON.stringify(path)}, { onMalformed: 'skip' })).then(() => console.log('loaded'), (e) => console.log(JSON.stringify({ type: e.constructor.name, message: e.message })));`;
  const run = spawnSync(
    'setpriv',
    ['--inh-caps=-all', '--bounding-set=-all', '--', process.execPath, '--input-type=module', '-e', script],
    { encoding: 'utf8' },
  );
  if (run.status !== 0) {
    throw new Error(`the load without root's capabilities did not run (setpriv): ${run.error?.message ?? run.stderr}`);
  }
  const output = run.stdout.trim();
  if (output === 'loaded') return undefined;
  // The child's error, as the class it was there, so the caller's checks mean the same.
  const { type, message } = JSON.parse(output) as { type: string; message: string };
  throw type === 'DatasetLoadError' ? new DatasetLoadError(message) : new Error(`${type}: ${message}`);
}

describe('scanDataFile: a file replaced or removed while it is read', () => {
  const lines = Array.from({ length: 2000 }, (_, i) => `key-${i} value ${i}\n`).join('');
  const scanWhile = (path: string, act: () => void) => {
    let acted = false;
    const keys: string[] = [];
    const scan = scanDataFile(path, {
      onMalformed: 'fail',
      readSize: 1024,
      onEntry: (bytes, keyStart, keyEnd) => void keys.push(bytes.toString('utf8', keyStart, keyEnd)),
      onChunk: () => {
        if (!acted) act();
        acted = true;
      },
    });
    return { scan, keys };
  };

  // Publishing by renaming a whole file over the old one is the documented way: a load
  // in progress finishes on the old file, whole (a reload then picks up the new one).
  it('loads the old file, whole, when a new one is renamed over it', async () => {
    const path = await writeData(lines);
    const { scan, keys } = scanWhile(path, () => {
      writeFileSync(`${path}.next`, 'other 1\n');
      renameSync(`${path}.next`, path);
    });
    expect((await scan).lines).toBe(2000);
    expect(keys).toHaveLength(2000);
    expect(keys.at(-1)).toBe('key-1999');
  });

  it('loads the file, whole, when it is removed during the read', async () => {
    const path = await writeData(lines);
    const { scan, keys } = scanWhile(path, () => unlinkSync(path));
    expect((await scan).lines).toBe(2000);
    expect(keys).toHaveLength(2000);
  });
});
