import { isUtf8 } from 'node:buffer';

/**
 * A listing cursor names the last key of a page (base64url of its UTF-8 bytes), not a
 * position: it stays meaningful across reloads and replicas, and the next page starts
 * at the first key greater than it, whatever changed in between.
 */
export function encodeCursor(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/** The key a cursor names, or undefined when it is not one this service made. */
export function decodeCursor(cursor: string): string | undefined {
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes.length === 0 || !isUtf8(bytes) || bytes.toString('base64url') !== cursor) return undefined;
  return bytes.toString('utf8');
}
