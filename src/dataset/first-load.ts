import { DEFAULT_DATA_FILE_PATH, DEFAULT_ON_MALFORMED } from '../config/data-file-defaults.js';
import { loadDatasetInWorker, MALFORMED_POLICIES, type Dataset, type LoadProgress } from '../store/index.js';
import type { MalformedPolicy } from '../store/index.js';
import { fileIdentitySync } from './file-change-watcher.js';

/**
 * The first load, started by the entry point before the framework is imported.
 * Importing Nest, Fastify and their dependencies takes most of a second; meanwhile the
 * loader worker reads the data file on another core, so a replica is ready after the
 * longer of the two rather than after both. No Nest imports here, nor anything heavy:
 * this module is loaded first.
 *
 * The environment is read without validating it (that needs class-validator, which is
 * itself slow to import). DatasetService takes this load only when the validated
 * configuration names the same file and policy; otherwise it is dropped and loaded
 * again as configured, so a guess here can cost time but never change what is served.
 */
class StartedLoad {
  readonly dataset: Promise<Dataset>;
  private readonly abort = new AbortController();
  /** Progress reported before anyone took the load, replayed to whoever does. */
  private readonly early: LoadProgress[] = [];
  private listener: ((progress: LoadProgress) => void) | undefined;

  constructor(
    readonly filePath: string,
    readonly onMalformed: MalformedPolicy,
  ) {
    this.dataset = loadDatasetInWorker(filePath, {
      onMalformed,
      signal: this.abort.signal,
      // Nothing serves yet: look-ups start before the key order is sorted, listings wait for it.
      answerBeforeSorted: true,
      onProgress: (progress) => (this.listener ? this.listener(progress) : this.early.push(progress)),
    });
    // Its taker handles a failure; a start-up that fails before taking it must not also
    // report it as an unhandled rejection.
    this.dataset.catch(() => undefined);
  }

  /** Stops the worker: nobody will take this load. */
  drop(): void {
    this.abort.abort();
  }

  follow(listener: (progress: LoadProgress) => void): void {
    this.early.splice(0).forEach(listener);
    this.listener = listener;
  }
}

let started: StartedLoad | undefined;
/** The data file's identity just before the first load opened it, for KV_WATCH's baseline. */
let startedIdentity: { filePath: string; identity: string | undefined } | undefined;

/**
 * Starts loading the local data file the environment names. Does nothing for a remote
 * source (the download needs the validated configuration) or an invalid policy (whose
 * error start-up reports).
 */
export function startFirstLoad(env: NodeJS.ProcessEnv): void {
  holdEarlySighup();
  // As the configuration reads them: an empty variable counts as unset.
  const setting = (name: string) => (env[name] === '' ? undefined : env[name]);
  if (started !== undefined || setting('KV_DATA_URL') !== undefined || setting('KV_MANIFEST_URL') !== undefined) {
    return;
  }
  const onMalformed = (setting('KV_ON_MALFORMED') ?? DEFAULT_ON_MALFORMED).toLowerCase() as MalformedPolicy;
  if (!MALFORMED_POLICIES.includes(onMalformed)) return;
  const filePath = setting('KV_DATA_FILE_PATH') ?? DEFAULT_DATA_FILE_PATH;
  // Taken before the load opens the file: a change after this is a change to what loaded.
  startedIdentity = { filePath, identity: fileIdentitySync(filePath) };
  started = new StartedLoad(filePath, onMalformed);
}

/**
 * The identity `filePath` had when the first load started, if it started on that file:
 * what a watcher made later compares with, so that a change during the imports, after
 * the load read the file, still reloads it. Undefined otherwise.
 */
export function firstLoadBaseline(filePath: string): string | undefined {
  return startedIdentity?.filePath === filePath ? startedIdentity.identity : undefined;
}

/**
 * The started first load, when it is of this file under this policy: once. Progress
 * reported so far is passed to `onProgress` at once, the rest as it comes. A load of
 * anything else is dropped (its worker stopped, its memory released) and undefined returned.
 */
export function takeFirstLoad(
  filePath: string,
  onMalformed: MalformedPolicy,
  onProgress: (progress: LoadProgress) => void,
): Promise<Dataset> | undefined {
  const load = started;
  started = undefined;
  if (load === undefined) return undefined;
  if (load.filePath !== filePath || load.onMalformed !== onMalformed) {
    load.drop();
    // The file is read again later: the baseline is what a watcher made then finds.
    startedIdentity = undefined;
    // A load that finished before it was dropped still holds its memory.
    load.dataset.then(
      (dataset) => dataset.store.release?.(),
      () => undefined,
    );
    return undefined;
  }
  load.follow(onProgress);
  return load.dataset;
}

let earlySighup: { received: boolean; listener: () => void } | undefined;

/**
 * Until the reload triggers listen (once the port opens), SIGHUP would end the process,
 * Node's default. One that arrives meanwhile (`mv new data; kill -HUP`) is kept, and
 * the triggers reload once when they start: the first load may have read the file, or
 * checked the source, before it changed.
 */
function holdEarlySighup(): void {
  if (earlySighup !== undefined) return;
  const held = { received: false, listener: () => (held.received = true) };
  earlySighup = held;
  process.on('SIGHUP', held.listener);
}

/** Whether a SIGHUP arrived before the reload triggers took over; stops holding them. */
export function takeEarlySighup(): boolean {
  const held = earlySighup;
  if (held === undefined) return false;
  process.off('SIGHUP', held.listener);
  return held.received;
}
