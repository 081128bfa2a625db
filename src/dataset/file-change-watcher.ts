import { realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Calls `onChange` once after the file at `path` changes, however it changed: written in
 * place, replaced by a rename, or, as Kubernetes updates a mounted ConfigMap or Secret,
 * by a new dated directory and a swap of the `..data` symlink the file's path goes through.
 *
 * It watches the file's directory (a watch on the file itself would follow the old inode
 * after a swap) and, when the path is a symlink, the directory of the file it resolves
 * to (where a write in place happens), re-resolved after every change. It waits for a
 * burst of events to settle, then compares the file's identity (device, inode, size,
 * times, following symlinks) with the last one seen, so the several events of one
 * update, or events of unrelated files, give one call or none.
 *
 * The identity to compare with is `baseline`, the file's identity when it was read (see
 * fileIdentitySync), or else taken when the watcher is made: a change after it, before
 * `start()` (a first load can take a while), is reported as soon as watching starts,
 * not lost.
 */
export class FileChangeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private lastIdentity: string | undefined;
  private closed = false;
  private readonly settleMs: number;

  constructor(
    private readonly path: string,
    private readonly onChange: () => void,
    private readonly onError: (error: Error) => void,
    { settleMs = 300, baseline }: { settleMs?: number; baseline?: string } = {},
  ) {
    this.settleMs = settleMs;
    this.lastIdentity = baseline ?? fileIdentitySync(path);
  }

  async start(): Promise<void> {
    this.watchDirectories();
    await this.check();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** The path's own directory, and the resolved file's when that differs; others are closed. */
  private watchDirectories(): void {
    if (this.closed) return;
    const wanted = new Set([dirname(this.path)]);
    try {
      wanted.add(dirname(realpathSync(this.path)));
    } catch {
      // Missing for now (mid-swap): its own directory will say when it is back.
    }
    for (const [dir, watcher] of this.watchers) {
      if (!wanted.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, () => this.schedule());
        watcher.on('error', (error) => this.onError(error));
        this.watchers.set(dir, watcher);
      } catch (error) {
        this.onError(error as Error);
      }
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), this.settleMs);
  }

  private async check(): Promise<void> {
    const identity = await identityOf(this.path);
    if (this.closed) return;
    this.watchDirectories();
    // A file that vanished mid-update is not a change yet; its reappearance will be.
    if (identity === undefined || identity === this.lastIdentity) return;
    this.lastIdentity = identity;
    this.onChange();
  }
}

type Stats = { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint };
const describe = (s: Stats) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;

async function identityOf(path: string): Promise<string | undefined> {
  return stat(path, { bigint: true }).then(describe, () => undefined);
}

/** The file's identity as the watcher compares it (device, inode, size, times), or undefined when it is missing. */
export function fileIdentitySync(path: string): string | undefined {
  try {
    return describe(statSync(path, { bigint: true }));
  } catch {
    return undefined;
  }
}
