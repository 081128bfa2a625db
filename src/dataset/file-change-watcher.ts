import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Calls `onChange` once after the file at `path` changes, however it changed: written in
 * place, replaced by a rename, or, as Kubernetes updates a mounted ConfigMap, by a new
 * dated directory and a swap of the `..data` symlink the file's path goes through.
 *
 * It watches the file's directory (a watch on the file itself would follow the old inode
 * after a swap), waits for a burst of events to settle, then compares the file's identity
 * (device, inode, size, modification time, following symlinks) with the last one seen, so
 * the several events of one update, or events of unrelated files, give one call or none.
 */
export class FileChangeWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastIdentity: string | undefined;

  constructor(
    private readonly path: string,
    private readonly onChange: () => void,
    private readonly onError: (error: Error) => void,
    private readonly settleMs = 300,
  ) {}

  async start(): Promise<void> {
    this.lastIdentity = await this.identity();
    this.watcher = watch(dirname(this.path), { persistent: false }, () => this.schedule());
    this.watcher.on('error', (error) => this.onError(error));
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.check(), this.settleMs);
  }

  private async check(): Promise<void> {
    const identity = await this.identity();
    // A file that vanished mid-update is not a change yet; its reappearance will be.
    if (identity === undefined || identity === this.lastIdentity) return;
    this.lastIdentity = identity;
    this.onChange();
  }

  private async identity(): Promise<string | undefined> {
    try {
      const stats = await stat(this.path, { bigint: true });
      return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
    } catch {
      return undefined;
    }
  }
}
