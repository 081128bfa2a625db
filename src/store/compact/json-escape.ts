/** Whether a stored value can be served inside a JSON body as it is: see CompactStore.getJsonEntry. */

/**
 * True when JSON.stringify would escape something in the value: `"`, `\` or a control
 * character below U+0020. (It leaves U+2028, U+2029 and DEL as they are, and valid UTF-8
 * holds no lone surrogates.) Tested on the value a look-up has just decoded, rather than
 * flagged at load time: flagging every value took about a fifth of a 10M-line load, and
 * look-up throughput did not change without it (docs/performance.md).
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f]/;

export function stringNeedsJsonEscape(value: string): boolean {
  return NEEDS_JSON_ESCAPE.test(value);
}
