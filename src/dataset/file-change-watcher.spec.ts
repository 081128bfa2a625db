import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileChangeWatcher, fileIdentitySync } from './file-change-watcher.js';

/** Calls of `onChange`, observed through a real watch of real files. */
describe('FileChangeWatcher', () => {
  let dir: string;
  let watcher: FileChangeWatcher | undefined;
  let changes = 0;
  const watchFile = (path: string, baseline?: string) =>
    (watcher = new FileChangeWatcher(
      path,
      () => changes++,
      (error) => {
        throw error;
      },
      { settleMs: 50, baseline },
    ));
  const changesAfter = async (ms: number, expected: number) => {
    for (let waited = 0; changes < expected && waited < ms; waited += 25) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    return changes;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-watch-'));
    changes = 0;
  });
  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a write in place, once, and nothing for other files', async () => {
    await writeFile(join(dir, 'access.yaml'), 'one');
    await watchFile(join(dir, 'access.yaml')).start();
    await writeFile(join(dir, 'unrelated'), 'x');
    expect(await changesAfter(300, 1)).toBe(0);
    await writeFile(join(dir, 'access.yaml'), 'two, longer');
    expect(await changesAfter(3000, 1)).toBe(1);
  });

  it('reports a write in place behind a symlink into another directory', async () => {
    await mkdir(join(dir, 'real'));
    await mkdir(join(dir, 'link'));
    await writeFile(join(dir, 'real', 'access.yaml'), 'one');
    await symlink(join(dir, 'real', 'access.yaml'), join(dir, 'link', 'access.yaml'));
    await watchFile(join(dir, 'link', 'access.yaml')).start();
    await writeFile(join(dir, 'real', 'access.yaml'), 'two, longer');
    expect(await changesAfter(3000, 1)).toBe(1);
  });

  it("follows Kubernetes' ..data swap, then writes in place in the new directory", async () => {
    const version = async (name: string, text: string) => {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'access.yaml'), text);
    };
    await version('..2026_12_01', 'one');
    await symlink('..2026_12_01', join(dir, '..data'));
    await symlink('..data/access.yaml', join(dir, 'access.yaml'));
    await watchFile(join(dir, 'access.yaml')).start();

    await version('..2026_12_02', 'two, longer');
    await symlink('..2026_12_02', join(dir, '..data_tmp'));
    await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    expect(await changesAfter(3000, 1)).toBe(1);

    await writeFile(join(dir, '..2026_12_02', 'access.yaml'), 'three, longer still');
    expect(await changesAfter(3000, 2)).toBe(2);
  });

  it('reports, when watching starts, a change made after it was made (during a first load)', async () => {
    await writeFile(join(dir, 'data'), 'one');
    const made = watchFile(join(dir, 'data'));
    await writeFile(join(dir, 'data'), 'two, longer');
    await made.start();
    expect(changes).toBe(1);
  });

  it('reports nothing at start for an unchanged file', async () => {
    await writeFile(join(dir, 'data'), 'one');
    await watchFile(join(dir, 'data')).start();
    expect(await changesAfter(300, 1)).toBe(0);
  });

  it('compares with the baseline it is given, not the file as it is when made', async () => {
    const path = join(dir, 'data');
    await writeFile(path, 'one');
    const baseline = fileIdentitySync(path);
    await writeFile(join(dir, 'next'), 'two, longer');
    await rename(join(dir, 'next'), path);
    await watchFile(path, baseline).start();
    expect(await changesAfter(300, 1)).toBe(1);
    watcher!.close();
    // Without it the replaced file is the baseline: nothing to report.
    changes = 0;
    await watchFile(path).start();
    expect(await changesAfter(300, 1)).toBe(0);
  });
});
