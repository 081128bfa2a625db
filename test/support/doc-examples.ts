/**
 * The examples of the README and docs/ that a test runs (see docs/layout.md, "Examples
 * in the docs"). The convention, kept simple enough to read in the rendered page:
 *
 * - an example lives in a fenced block whose language is `console`;
 * - a line starting with `$ ` is a command, and every line after it, up to the next
 *   command or the end of the block, is what the command prints;
 * - `…` in a shown line stands for text that differs on every run (a request id, a
 *   date, a duration): it matches one or more characters, so the line must be there;
 * - an `<!-- example-server: NAME=value ... -->` comment right before the block says
 *   which environment the block's server runs with; without one, the block runs
 *   against the first-screen server (`node dist/main.js` on the bundled data).
 *
 * Other fences (`sh`, `text`, ...) are not run.
 */
export interface DocExample {
  /** The file, relative to the repository root, and the line of the command (1-based). */
  file: string;
  line: number;
  command: string;
  /** The lines shown after the command, trailing blank lines dropped. */
  shown: string[];
  /** The server's environment as written in the marker, `''` for the first-screen server. */
  server: string;
}

export const ELIDED = '…';
const SERVER_MARKER = /^<!-- example-server: (.+?) -->$/;
const FENCE = /^```(\S*)\s*$/;

/** Reads every example of a Markdown text; throws on a block that breaks the convention. */
export function extractExamples(file: string, text: string): DocExample[] {
  const lines = text.split('\n');
  const examples: DocExample[] = [];
  let pendingServer: { value: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const marker = SERVER_MARKER.exec(lines[i]);
    if (marker) {
      pendingServer = { value: marker[1].trim(), line: i + 1 };
      continue;
    }
    const fence = FENCE.exec(lines[i]);
    if (fence === null) {
      if (pendingServer !== undefined && lines[i].trim() !== '') {
        throw new Error(
          `${file}:${pendingServer.line}: an example-server marker must come right before a console block`,
        );
      }
      continue;
    }
    const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
    if (end === -1) throw new Error(`${file}:${i + 1}: the code block is never closed`);
    if (fence[1] === 'console') {
      examples.push(...blockExamples(file, lines, i + 1, end, pendingServer?.value ?? ''));
    } else if (pendingServer !== undefined) {
      throw new Error(`${file}:${pendingServer.line}: an example-server marker must come right before a console block`);
    }
    pendingServer = undefined;
    i = end;
  }
  return examples;
}

function blockExamples(file: string, lines: string[], start: number, end: number, server: string): DocExample[] {
  const examples: DocExample[] = [];
  for (let i = start; i < end; i++) {
    if (lines[i].startsWith('$ ')) {
      examples.push({ file, line: i + 1, command: lines[i].slice(2), shown: [], server });
    } else if (examples.length === 0) {
      throw new Error(`${file}:${i + 1}: a console block must start with a "$ " command`);
    } else {
      examples[examples.length - 1].shown.push(lines[i]);
    }
  }
  if (examples.length === 0) throw new Error(`${file}:${start}: an empty console block`);
  for (const example of examples) example.shown = withoutTrailingBlankLines(example.shown);
  return examples;
}

/** The environment a marker names: `A=1 B=x,y` as `{A: '1', B: 'x,y'}`. */
export function serverEnvironment(server: string): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const pair of server.split(/\s+/).filter(Boolean)) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (match === null) throw new Error(`example-server: "${pair}" is not NAME=value`);
    environment[match[1]] = match[2];
  }
  return environment;
}

/**
 * What a command printed, as the page would show it: CRLF as LF (curl prints HTTP
 * heads with CRLF), trailing blank lines dropped. Each line that a shown line with
 * `…` matches is replaced by that shown line, so that a failing comparison's diff
 * shows only what really differs.
 */
export function asShown(printed: string, shown: readonly string[]): string[] {
  const lines = withoutTrailingBlankLines(printed.replace(/\r\n/g, '\n').split('\n'));
  return lines.map((line, i) => (shown[i]?.includes(ELIDED) && elisionPattern(shown[i]).test(line) ? shown[i] : line));
}

function elisionPattern(shown: string): RegExp {
  const parts = shown.split(ELIDED).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+?')}$`);
}

function withoutTrailingBlankLines(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1].trim() === '') end--;
  return lines.slice(0, end);
}
