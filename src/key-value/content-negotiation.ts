/**
 * Chooses between the JSON and the raw (text/plain) representation of a look-up.
 *
 * The usual rules of RFC 9110 section 12.5.1: each type gets the q-value of the most
 * specific media range that matches it. Raw wins only when text/plain is strictly
 * preferred; a tie, or neither being acceptable, gives JSON (never 406).
 */
export type Representation = 'json' | 'raw';

/** Distinct Accept headers remembered before starting over. */
const CACHE_LIMIT = 256;
/** Longer headers are negotiated each time, not remembered: 256 of them must not pin 16 MiB. */
const REMEMBERED_LENGTH_LIMIT = 1024;
/** Media ranges read from one header; real clients send a handful, the rest are ignored. */
export const MAX_MEDIA_RANGES = 64;

/**
 * `choose`, remembering its answer per Accept header: clients send the same few headers
 * again and again. Holds at most `limit` headers; when full it starts over rather than
 * track which header was used last, because an LRU (lru-cache) does that bookkeeping on
 * every hit, on the look-up's hot path, and the few headers in use refill it at once.
 */
export function rememberChoices(
  choose: (accept: string) => Representation,
  limit: number,
): (accept: string) => Representation {
  const answers = new Map<string, Representation>();
  return (accept) => {
    let choice = answers.get(accept);
    if (choice === undefined) {
      choice = choose(accept);
      if (answers.size >= limit) answers.clear();
      answers.set(accept, choice);
    }
    return choice;
  };
}

const negotiateRemembered = rememberChoices(negotiate, CACHE_LIMIT);

export function chooseRepresentation(accept: string | undefined): Representation {
  // The common cases cost one comparison: no header, a wildcard, or JSON.
  if (accept === undefined || accept === '*/*' || accept === 'application/json') return 'json';
  if (accept === 'text/plain') return 'raw';
  return accept.length > REMEMBERED_LENGTH_LIMIT ? negotiate(accept) : negotiateRemembered(accept);
}

interface Match {
  q: number;
  specificity: number;
}

export function negotiate(accept: string): Representation {
  const json = { q: 0, specificity: -1 };
  const text = { q: 0, specificity: -1 };
  for (const range of accept.split(',', MAX_MEDIA_RANGES)) {
    const [mediaRange = '', ...params] = range.split(';');
    const [type = '', subtype = ''] = mediaRange.trim().toLowerCase().split('/');
    if (type === '' || subtype === '') continue;
    const q = parseQuality(params);
    if (q === undefined) continue;
    consider(json, q, type, subtype, 'application', 'json');
    consider(text, q, type, subtype, 'text', 'plain');
  }
  return text.q > json.q ? 'raw' : 'json';
}

function consider(best: Match, q: number, type: string, subtype: string, wantType: string, wantSubtype: string): void {
  let specificity: number;
  if (type === wantType && subtype === wantSubtype) specificity = 2;
  else if (type === wantType && subtype === '*') specificity = 1;
  else if (type === '*' && subtype === '*') specificity = 0;
  else return;
  // The most specific matching range decides, even when its q is lower.
  if (specificity > best.specificity || (specificity === best.specificity && q > best.q)) {
    best.specificity = specificity;
    best.q = q;
  }
}

/** The `q` parameter, 1 when absent; undefined when malformed (the range is then ignored). */
function parseQuality(params: string[]): number | undefined {
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    if (name.trim().toLowerCase() !== 'q') continue;
    const text = value.trim();
    if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(text)) return undefined;
    return Number(text);
  }
  return 1;
}
