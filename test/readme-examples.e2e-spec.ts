import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asShown, extractExamples, serverEnvironment, type DocExample } from './support/doc-examples.js';
import { ROOT, startServer, type ServerProcess } from './support/server-process.js';

/**
 * Runs the `console` examples of README.md and docs/*.md with real curl against the
 * built server (`dist/main.js`) on the bundled data, and compares what each prints
 * with what the page shows, so that the docs cannot drift from the service. The
 * convention is in support/doc-examples.ts; docs/layout.md explains it to writers.
 */
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort(),
].map((name) => (name === 'README.md' ? name : `docs/${name}`));
const examples = PAGES.flatMap((page) => extractExamples(page, readFileSync(join(ROOT, page), 'utf8')));
/** Where the examples send their requests; the test rewrites it to the server's port. */
const DOCUMENTED_ORIGIN = 'localhost:8080';

interface Printed {
  code: number;
  stdout: string;
  stderr: string;
}

function runCommand(command: string, port: number): Promise<Printed> {
  const local = command.replaceAll(DOCUMENTED_ORIGIN, `127.0.0.1:${port}`);
  return new Promise((resolve) => {
    // Through sh, as a reader's shell would run it (quotes, pipes into grep or head).
    execFile(
      '/bin/sh',
      ['-c', local],
      { cwd: ROOT, env: { PATH: process.env.PATH, LC_ALL: 'C.UTF-8' }, timeout: 10_000, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Only curl, only against the documented origin: nothing else is ever a target. */
function assertRunnable(example: DocExample): void {
  const where = `${example.file}:${example.line}`;
  if (!example.command.startsWith('curl ')) throw new Error(`${where}: a console example must be a curl command`);
  if (!example.command.includes(DOCUMENTED_ORIGIN))
    throw new Error(`${where}: the example must call ${DOCUMENTED_ORIGIN}`);
  const rest = example.command.replaceAll(`http://${DOCUMENTED_ORIGIN}`, '').replaceAll(DOCUMENTED_ORIGIN, '');
  if (OTHER_TARGET.test(rest)) throw new Error(`${where}: an example may only call ${DOCUMENTED_ORIGIN}`);
}

/** Anything that looks like another host: a scheme, a name with a port, or a dotted name before a path. */
const OTHER_TARGET = /:\/\/|localhost|\b\d+\.\d+\.\d+\.\d+|\b[\w-]+:\d+|\b[\w-]+(\.[\w-]+)+(:\d+)?\//i;

describe('the console examples of README.md and docs/', () => {
  const servers = new Map<string, ServerProcess>();

  beforeAll(async () => {
    try {
      execFileSync('curl', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('curl is needed to run the docs examples: apt-get install -y curl (.ci/run installs it)');
    }
    for (const server of new Set(examples.map((example) => example.server))) {
      servers.set(server, await startServer(serverEnvironment(server)));
    }
  }, 60_000);

  afterAll(async () => {
    for (const server of servers.values()) expect(await server.stop('SIGTERM')).toBe(0);
  });

  it("README.md's API section shows examples, and every curl in the README is one of them", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const apiStart = readme.indexOf('\n## The HTTP API');
    const apiEnd = readme.indexOf('\n## ', apiStart + 1);
    expect(apiStart).toBeGreaterThan(-1);
    const apiLines = [readme.slice(0, apiStart).split('\n').length, readme.slice(0, apiEnd).split('\n').length];
    const inApi = examples.filter((e) => e.file === 'README.md' && e.line > apiLines[0] && e.line < apiLines[1]);
    expect(inApi.length).toBeGreaterThan(0);
    // A curl written in any other form (a sh block, a comment) would be an example nobody checks.
    const curlLines = readme.split('\n').filter((line) => /^\s*(\$ )?curl /.test(line));
    const checked = examples.filter((example) => example.file === 'README.md').map((example) => `$ ${example.command}`);
    expect(curlLines).toEqual(checked);
  });

  it.each(examples.map((example) => [`${example.file}:${example.line} ${example.command}`, example] as const))(
    '%s',
    async (_name, example) => {
      assertRunnable(example);
      const server = servers.get(example.server)!;
      const printed = await runCommand(example.command, server.port);
      expect({ code: printed.code, stderr: printed.stderr }).toEqual({ code: 0, stderr: '' });
      expect(asShown(printed.stdout, example.shown).join('\n')).toBe(example.shown.join('\n'));
    },
  );
});

describe('the examples convention', () => {
  const page = [
    'text',
    '<!-- example-server: KV_API_KEYS=a,b LOG_LEVEL=info -->',
    '',
    '```console',
    '$ curl -s localhost:8080/one',
    'id: …',
    '',
    '$ curl -s localhost:8080/two',
    '```',
    '```sh',
    'curl -s localhost:8080/not-run',
    '```',
  ].join('\n');

  it('reads commands, their shown output and the server marker, and skips other blocks', () => {
    expect(extractExamples('page.md', page)).toEqual([
      {
        file: 'page.md',
        line: 5,
        command: 'curl -s localhost:8080/one',
        shown: ['id: …'],
        server: 'KV_API_KEYS=a,b LOG_LEVEL=info',
      },
      {
        file: 'page.md',
        line: 8,
        command: 'curl -s localhost:8080/two',
        shown: [],
        server: 'KV_API_KEYS=a,b LOG_LEVEL=info',
      },
    ]);
    expect(serverEnvironment('KV_API_KEYS=a,b LOG_LEVEL=info')).toEqual({ KV_API_KEYS: 'a,b', LOG_LEVEL: 'info' });
  });

  it('lets … stand for varying text only: the line must exist and the rest must match', () => {
    const shown = ['HTTP/1.1 200 OK', 'x-request-id: …', 'body'];
    expect(asShown('HTTP/1.1 200 OK\r\nx-request-id: abc-1\r\nbody', shown)).toEqual(shown);
    expect(asShown('HTTP/1.1 200 OK\r\nbody', shown)).not.toEqual(shown);
    expect(asShown('HTTP/1.1 200 OK\r\nx-request-id: \r\nbody', shown)).not.toEqual(shown);
    expect(asShown('HTTP/1.1 200 OK\r\nx-request-ix: abc\r\nbody', shown)).not.toEqual(shown);
  });

  it('runs only curl against the documented origin', () => {
    const example = (command: string) => ({ file: 'p.md', line: 1, command, shown: [], server: '' });
    expect(() =>
      assertRunnable(example("curl -s -H 'Accept: text/plain;q=0.9' localhost:8080/keys/a.b")),
    ).not.toThrow();
    expect(() => assertRunnable(example('curl -s http://localhost:8080/keys/x'))).not.toThrow();
    for (const command of [
      'ls localhost:8080',
      'curl -s localhost:9090/keys/x',
      'curl -s example.com/x localhost:8080/keys/x',
      'curl -s https://localhost:8080/x',
      'curl -s 10.0.0.1/x localhost:8080/y',
      'curl -s other:80 localhost:8080/y',
    ]) {
      expect(() => assertRunnable(example(command))).toThrow();
    }
  });

  it('refuses a console block without a command, and a marker before anything else', () => {
    expect(() => extractExamples('p.md', '```console\noutput\n```')).toThrow(/must start with a "\$ " command/);
    expect(() => extractExamples('p.md', '<!-- example-server: A=1 -->\ntext')).toThrow(/right before a console/);
    expect(() => extractExamples('p.md', '```console\n$ curl x')).toThrow(/never closed/);
  });
});
