import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { ServiceUnavailableException, type Logger } from '@nestjs/common';
import type { Dataset } from '../store/index.js';

// A first load serves look-ups before its keys are sorted (first-load.ts): listings
// wait for the sort, and if it fails the file is loaded again whole. This is that
// waiting and that recovery, for DatasetService. Reloads and snapshots never wait:
// their datasets are swapped in with their key order.

const KEY_ORDER_UNAVAILABLE = 'Listings are unavailable: the key order of the dataset could not be built.';

/**
 * The serving dataset once it can answer listings: the wait is a second or two after
 * a first load. Read once per listing, after the wait. A 503 if the key order cannot
 * be built (a reload is then rebuilding it: see followKeyOrder).
 */
export async function servingInKeyOrder(serving: () => Dataset): Promise<Dataset> {
  for (;;) {
    const dataset = serving();
    const pending = dataset.store.keyOrderPending;
    if (pending === undefined) return dataset;
    try {
      await pending;
    } catch {
      // Released by a reload that swapped in another dataset: list from that one.
      if (serving() === dataset) throw new ServiceUnavailableException(KEY_ORDER_UNAVAILABLE);
    }
  }
}

export interface KeyOrderRecovery {
  logger: Logger;
  /** Whether `dataset` is still the one serving. */
  isServing: (dataset: Dataset) => boolean;
  /** A reload of the data file; it never rejects. */
  reload: () => Promise<unknown>;
  /** How long after a failed reload to try again. */
  retryMs: () => number;
}

/**
 * Logs when a first load's key order arrives. If it never does (its worker failed
 * while sorting), listings answer 503 and a reload, which builds the whole store
 * again before it swaps, starts at once.
 */
export function followKeyOrder(dataset: Dataset, recovery: KeyOrderRecovery): void {
  const pending = dataset.store.keyOrderPending;
  if (pending === undefined) return;
  const handedOverAt = performance.now();
  pending.then(
    () => {
      const waitedMs = Math.round(performance.now() - handedOverAt);
      recovery.logger.log({
        msg: 'Keys sorted; listings are answered now',
        version: dataset.summary.version,
        waitedMs,
      });
    },
    (error: unknown) => {
      if (!recovery.isServing(dataset)) return;
      const message = error instanceof Error ? error.message : String(error);
      recovery.logger.error({ msg: `${KEY_ORDER_UNAVAILABLE} Reloading to build it.`, error: message });
      void rebuildKeyOrder(dataset, recovery);
    },
  );
}

/**
 * Reloads until a dataset with its key order replaces `dataset`; a reload that fails
 * (the reason the sort failed may be short memory) is tried again after `retryMs`.
 * Only a local file's first load gets here, which every reload reads again.
 */
async function rebuildKeyOrder(dataset: Dataset, recovery: KeyOrderRecovery): Promise<void> {
  while (recovery.isServing(dataset)) {
    await recovery.reload();
    if (!recovery.isServing(dataset)) return;
    await delay(recovery.retryMs(), undefined, { ref: false });
  }
}
