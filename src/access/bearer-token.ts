import { hash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer <token>` header (scheme name case-insensitive). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Whether `candidate` equals one of `secrets`, in time that depends on neither: both
 * sides are hashed to a fixed length first, and every secret is compared.
 */
export function matchesSecret(candidate: string, secrets: readonly Buffer[]): boolean {
  const digest = sha256(candidate);
  let matched = false;
  for (const secret of secrets) matched = timingSafeEqual(digest, secret) || matched;
  return matched;
}

/** Secrets are kept as digests, ready for `matchesSecret`. */
export function digestSecrets(secrets: readonly string[]): Buffer[] {
  return secrets.map(sha256);
}

/** One-shot `crypto.hash`: half the cost of a `createHash` object, and this runs per request. */
function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}
