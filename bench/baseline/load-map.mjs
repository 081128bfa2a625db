// The baselines' loader: the whole file read at once and split, the first space or tab
// separating key and value. Enough for generated data; kv-server's parser does far more
// (malformed lines, \r, BOM), but only at start-up, which the benchmark does not time.
import { readFileSync } from 'node:fs';

export function loadMap(path) {
  const store = new Map();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const separator = line.search(/[ \t]/);
    if (separator > 0) store.set(line.slice(0, separator), line.slice(separator + 1).replace(/\r$/, ''));
  }
  return store;
}
