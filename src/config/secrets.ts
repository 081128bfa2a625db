import { readFileSync } from 'node:fs';

/** A secret setting that cannot be used. Its message names the variable, never the secret. */
export class SecretError extends Error {
  override readonly name = 'SecretError';
}

/**
 * A single secret from `NAME` or from the file named by `NAME_FILE` (the form a
 * Kubernetes Secret mounts), trimmed. Undefined when neither is set.
 */
export function readSecret(env: Record<string, string>, name: string, fileName: string): string | undefined {
  const text = readEither(env, name, fileName);
  if (text === undefined) return undefined;
  const secret = text.trim();
  const where = text === env[name] ? name : fileName;
  if (secret === '') throw new SecretError(`${where} is set but holds no token`);
  assertSendable([secret], where, 'token');
  return secret;
}

/**
 * A list of secrets: `NAME` split on commas, or the file of `NAME_FILE` split on lines
 * and commas; each trimmed, empties dropped. Undefined when neither is set; a setting
 * that yields no secret at all is an error, so that access control is never silently off.
 */
export function readSecretList(env: Record<string, string>, name: string, fileName: string): string[] | undefined {
  const text = readEither(env, name, fileName);
  if (text === undefined) return undefined;
  const secrets = splitSecrets(text);
  const where = env[name] !== undefined ? name : fileName;
  if (secrets.length === 0) {
    throw new SecretError(`${where} is set but holds no key (expected comma- or line-separated keys)`);
  }
  assertSendable(secrets, where, 'key');
  return secrets;
}

/** Re-reads a list file (on reload); same rules as at start-up. */
export function readSecretListFile(path: string, fileName: string): string[] {
  const secrets = splitSecrets(readFile(path, fileName));
  if (secrets.length === 0) throw new SecretError(`${fileName}="${path}" holds no key`);
  assertSendable(secrets, `${fileName}="${path}"`, 'key');
  return secrets;
}

/**
 * A bearer token is one run of non-whitespace characters, so a secret with a space or
 * tab inside could never be sent: refused, rather than leaving a client locked out.
 * The message counts, never quotes.
 */
function assertSendable(secrets: string[], where: string, noun: 'key' | 'token'): void {
  const position = secrets.findIndex((secret) => /\s/.test(secret));
  if (position === -1) return;
  const which = noun === 'token' ? 'the token' : `key ${position + 1} of ${secrets.length}`;
  throw new SecretError(
    `${where}: ${which} holds whitespace, which an "Authorization: Bearer" header cannot carry; remove it`,
  );
}

export function splitSecrets(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((secret) => secret.trim())
    .filter((secret) => secret !== '');
}

function readEither(env: Record<string, string>, name: string, fileName: string): string | undefined {
  const direct = env[name];
  const path = env[fileName];
  if (direct !== undefined && path !== undefined) {
    throw new SecretError(`${name} and ${fileName} are both set: set only one of them`);
  }
  if (direct !== undefined) return direct;
  if (path !== undefined) return readFile(path, fileName);
  return undefined;
}

function readFile(path: string, fileName: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new SecretError(`${fileName}=${JSON.stringify(path)} cannot be read (${code}): expected a readable file`);
  }
}
