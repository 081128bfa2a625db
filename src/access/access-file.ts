import { readFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument } from 'yaml';
import { OPERATIONS, type Operation } from '../common/route-facts.js';

/** One client of the access file, validated; `keySha256` in lower case. */
export interface ClientEntry {
  id: string;
  keySha256: string;
  prefixes: string[];
  operations: Operation[];
}

/** What a client may do when its entry lists no operations. */
export const DEFAULT_OPERATIONS: readonly Operation[] = ['lookup', 'mget', 'list'];

/**
 * An access file that cannot be used. Its message names the file, the client entry and
 * the problem, and never quotes a `keySha256`: log lines carry no hash (nor a key).
 */
export class AccessFileError extends Error {
  override readonly name = 'AccessFileError';
}

const ENTRY_FIELDS = new Set(['id', 'keySha256', 'prefixes', 'operations']);
const SHA256_HEX = /^[0-9a-f]{64}$/i;
const ID_FORM = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The whitespace `isPossibleKey` refuses: a prefix holding it could match no key. */
const WHITESPACE = /\s/u;
/** In a `u` expression a surrogate pair is one character: what still matches is alone (String.isWellFormed needs ES2024). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Reads and validates the file that KV_ACCESS_FILE names. */
export function readAccessFile(path: string): ClientEntry[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AccessFileError(`KV_ACCESS_FILE=${JSON.stringify(path)} cannot be read (${code})`);
  }
  try {
    // Decoding with replacement would turn a mistyped byte into U+FFFD: a prefix nobody wrote.
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new AccessFileError('not valid UTF-8 (the data file is UTF-8, and so are the prefixes that match it)');
    }
    return parseAccessFile(text);
  } catch (error) {
    throw new AccessFileError(`KV_ACCESS_FILE=${JSON.stringify(path)}: ${(error as Error).message}`);
  }
}

/**
 * Parses an access file, YAML or JSON (JSON is YAML 1.2), with the `yaml` package, and
 * validates every entry. The first problem found is thrown, naming its entry.
 */
export function parseAccessFile(text: string): ClientEntry[] {
  const document = parseDocument(text, { uniqueKeys: true });
  const [syntax] = document.errors;
  if (syntax !== undefined) {
    // The parser's message quotes the file's text, which may hold a hash: only its code and position.
    const [line, column] = [syntax.linePos?.[0].line, syntax.linePos?.[0].col];
    throw new AccessFileError(`not valid YAML or JSON (${syntax.code} at line ${line}, column ${column})`);
  }
  if (!isMap(document.contents) || !isSeq(document.get('clients'))) {
    throw new AccessFileError('expected a mapping with a "clients" list');
  }
  const topLevel = Object.keys(document.toJS() as object).filter((field) => field !== 'clients');
  if (topLevel.length > 0) {
    throw new AccessFileError(`unknown field ${topLevel.map((f) => JSON.stringify(f)).join(', ')}: only "clients"`);
  }
  const clients = (document.toJS() as { clients: unknown[] }).clients;
  if (clients.length === 0) throw new AccessFileError('"clients" is empty: list at least one client');
  const entries = clients.map((client, index) => parseEntry(client, index));
  const seenIds = new Map<string, number>();
  const seenHashes = new Map<string, number>();
  entries.forEach((entry, index) => {
    const sameId = seenIds.get(entry.id);
    if (sameId !== undefined) throw entryError(index, entry.id, `duplicate id (also clients[${sameId}])`);
    const sameHash = seenHashes.get(entry.keySha256);
    if (sameHash !== undefined) {
      throw entryError(index, entry.id, `duplicate keySha256 (the same as clients[${sameHash}]): one key per client`);
    }
    seenIds.set(entry.id, index);
    seenHashes.set(entry.keySha256, index);
  });
  return entries;
}

function parseEntry(value: unknown, index: number): ClientEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw entryError(index, undefined, 'expected a mapping with id, keySha256, prefixes and operations');
  }
  const entry = value as Record<string, unknown>;
  const id = entry.id;
  if (id === undefined) throw entryError(index, undefined, 'missing id');
  if (typeof id !== 'string' || !ID_FORM.test(id)) {
    throw entryError(
      index,
      undefined,
      'id must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit' + quoteHint(id),
    );
  }
  if (id === 'anonymous') throw entryError(index, id, '"anonymous" is reserved for requests without a valid key');
  const unknown = Object.keys(entry).filter((field) => !ENTRY_FIELDS.has(field));
  if (unknown.length > 0)
    throw entryError(index, id, `unknown field ${unknown.map((f) => JSON.stringify(f)).join(', ')}`);
  const keySha256 = entry.keySha256;
  if (keySha256 === undefined) throw entryError(index, id, 'missing keySha256 (kv-server hash-key prints it)');
  if (typeof keySha256 !== 'string' || !SHA256_HEX.test(keySha256)) {
    throw entryError(
      index,
      id,
      'keySha256 must be 64 hex digits, the SHA-256 of the API key (kv-server hash-key)' + quoteHint(keySha256),
    );
  }
  return {
    id,
    keySha256: keySha256.toLowerCase(),
    prefixes: parsePrefixes(entry.prefixes, index, id),
    operations: parseOperations(entry.operations, index, id),
  };
}

function parsePrefixes(value: unknown, index: number, id: string): string[] {
  if (value === undefined) throw entryError(index, id, 'missing prefixes (use [""] for every key)');
  if (!Array.isArray(value) || value.length === 0) {
    throw entryError(index, id, 'prefixes must be a non-empty list of strings ([""] for every key)');
  }
  for (const prefix of value) {
    if (typeof prefix !== 'string') throw entryError(index, id, 'prefixes must be strings (quote numbers)');
    if (WHITESPACE.test(prefix))
      throw entryError(index, id, `prefix ${JSON.stringify(prefix)} holds whitespace, which no key can`);
    if (LONE_SURROGATE.test(prefix)) throw entryError(index, id, 'a prefix is not valid Unicode (a lone surrogate)');
  }
  return value as string[];
}

function parseOperations(value: unknown, index: number, id: string): Operation[] {
  if (value === undefined) return [...DEFAULT_OPERATIONS];
  if (!Array.isArray(value)) throw entryError(index, id, `operations must be a list of ${OPERATIONS.join(', ')}`);
  for (const operation of value) {
    if (!(OPERATIONS as readonly unknown[]).includes(operation)) {
      throw entryError(index, id, `unknown operation ${JSON.stringify(operation)}: expected ${OPERATIONS.join(', ')}`);
    }
  }
  return value as Operation[];
}

function entryError(index: number, id: string | undefined, problem: string): AccessFileError {
  const name = id === undefined ? `clients[${index}]` : `clients[${index}] (id ${JSON.stringify(id)})`;
  return new AccessFileError(`${name}: ${problem}`);
}

/** YAML reads unquoted digits as a number: say so, since the value looked right. */
function quoteHint(value: unknown): string {
  return typeof value === 'number' || typeof value === 'bigint' ? ', as a quoted string (YAML read a number)' : '';
}
