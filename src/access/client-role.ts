import { hash } from 'node:crypto';
import type { Operation } from '../common/route-facts.js';
import { compareUtf8 } from '../store/index.js';
import type { ClientEntry } from './access-file.js';

/** Requests of one client id since start-up, kept across rotations of the file (see `ClientRolesService`). */
export interface ClientRequestCounts {
  /** Requests that presented this client's key. */
  identified: number;
  /** Of those, the ones refused by its role (403). */
  denied: number;
}

/**
 * One client's role in one version of the access file. Immutable: a request keeps the
 * role it was identified with (on `request.kvClient`), so every decision about it is
 * made by that one version of the rules, whatever the file says by the time it ends.
 *
 * Prefixes compare the decoded key with `startsWith`. For well-formed strings (the file's
 * prefixes are checked to be; a decoded URL always is) a UTF-16 prefix is exactly a
 * UTF-8 byte prefix: neither can end inside a character. No path rules apply: `..`
 * and `/` are bytes like any other, so `billing/../hr/x` is a key under `billing/`.
 */
export class ClientRole {
  /** The fewest prefixes with the same meaning (none a prefix of another), in UTF-8 byte order. */
  readonly prefixes: readonly string[];
  private readonly readsEverything: boolean;

  constructor(
    readonly id: string,
    prefixes: readonly string[],
    readonly operations: ReadonlySet<Operation>,
    readonly counts: ClientRequestCounts,
  ) {
    this.prefixes = minimalPrefixes(prefixes);
    this.readsEverything = this.prefixes[0] === '';
  }

  mayRead(key: string): boolean {
    if (this.readsEverything) return true;
    for (const prefix of this.prefixes) if (key.startsWith(prefix)) return true;
    return false;
  }

  /**
   * The prefixes a listing of `requested` covers for this client, in UTF-8 byte order:
   * `requested` itself when one of the client's prefixes covers it, else the client's
   * prefixes that lie inside it. Empty when the listing lies outside them.
   */
  listingPrefixes(requested: string): string[] {
    for (const prefix of this.prefixes) if (requested.startsWith(prefix)) return [requested];
    return this.prefixes.filter((prefix) => prefix.startsWith(requested));
  }
}

/** Drops every prefix that a shorter one covers, and orders the rest by UTF-8 bytes. */
export function minimalPrefixes(prefixes: readonly string[]): string[] {
  const byLength = [...new Set(prefixes)].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const prefix of byLength) if (!kept.some((shorter) => prefix.startsWith(shorter))) kept.push(prefix);
  return kept.sort(compareUtf8);
}

/** One version of the access file: the roles by the SHA-256 (hex) of their API key. */
export class AccessRules {
  private readonly byKeyDigest: ReadonlyMap<string, ClientRole>;

  constructor(entries: readonly ClientEntry[], countsFor: (id: string) => ClientRequestCounts) {
    this.byKeyDigest = new Map(
      entries.map((entry) => [
        entry.keySha256,
        new ClientRole(entry.id, entry.prefixes, new Set(entry.operations), countsFor(entry.id)),
      ]),
    );
  }

  get clients(): number {
    return this.byKeyDigest.size;
  }

  /**
   * The client whose key is `apiKey`. A Map look-up of the key's SHA-256, not a
   * constant-time comparison: its timing depends on the digest of what the caller
   * sent, which the caller knows already, and learning which digests are near a stored
   * one says nothing about a key that hashes to it (that needs a SHA-256 preimage).
   */
  identify(apiKey: string): ClientRole | undefined {
    return this.byKeyDigest.get(sha256Hex(apiKey));
  }
}

/** One-shot `crypto.hash`: half the cost of a `createHash` object, and this runs per request. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The client a request was identified as, with client roles on (set by the access check). */
    kvClient: ClientRole | undefined;
  }
}
