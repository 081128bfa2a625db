/**
 * The URLs of the remote sources (KV_DATA_URL, KV_MANIFEST_URL, a manifest's `url`):
 * what is accepted, and how one is shown. A query string may carry a signature and
 * user info a password, so neither is ever logged, shown or echoed in an error, not
 * even from a URL that fails to parse.
 */

/** The accepted form, for error messages. */
export const HTTP_URL_FORM = 'an absolute http:// or https:// URL, without user:password@ (use KV_DATA_AUTH_FILE)';

/**
 * Why `text` (resolved against `base` when given) is not an accepted URL, or undefined
 * when it is. Credentials in the URL are refused: fetch cannot send them, and they
 * would sit in every log line that names the source.
 */
export function httpUrlProblem(text: string, base?: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    return 'it is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `it is ${url.protocol.slice(0, -1)}, not http or https`;
  if (url.username !== '' || url.password !== '') return 'it holds user:password@, which is never sent';
  return undefined;
}

/** The URL as it may be logged or shown: no query string, no fragment, no user info. */
export function publicUrl(url: string | URL): string {
  let shown: URL;
  try {
    shown = new URL(url);
  } catch {
    return urlTextWithoutSecrets(String(url));
  }
  shown.search = '';
  shown.hash = '';
  shown.username = '';
  shown.password = '';
  return shown.href;
}

/** Every URL inside `message` (an error from fetch may quote one whole) in its public form. */
export function withPublicUrls(message: string): string {
  return message.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*[^\s"'<>),.;]/gi, (found) => publicUrl(found));
}

/**
 * A URL as its user wrote it (it may not parse), to quote in an error: cut before its
 * query string or fragment, and without the user info before an `@`.
 */
export function urlTextWithoutSecrets(text: string): string {
  // User info first, up to the last "@" of the authority (a password may hold "/", "?" or "#").
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@\s]*@/i, '$1').replace(/[?#].*$/s, '');
}
