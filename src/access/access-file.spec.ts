import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAccessFile, readAccessFile } from './access-file.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'B'.repeat(64);

describe('parseAccessFile', () => {
  it('reads YAML, with the default operations and the hash in lower case', () => {
    const yaml = `clients:\n  - id: billing\n    keySha256: ${HASH_B}\n    prefixes: ["billing/", ""]\n`;
    expect(parseAccessFile(yaml)).toEqual([
      { id: 'billing', keySha256: 'b'.repeat(64), prefixes: ['billing/', ''], operations: ['lookup', 'mget', 'list'] },
    ]);
  });

  it('reads JSON', () => {
    const json = JSON.stringify({
      clients: [{ id: 'ops', keySha256: HASH_A, prefixes: [''], operations: ['reload'] }],
    });
    expect(parseAccessFile(json)).toEqual([{ id: 'ops', keySha256: HASH_A, prefixes: [''], operations: ['reload'] }]);
  });

  const entry = (fields: string) =>
    `clients:\n  - id: first\n    keySha256: ${HASH_A}\n    prefixes: [a]\n  - ${fields}\n`;
  it.each([
    ['a missing id', entry(`keySha256: ${HASH_B}\n    prefixes: [a]`), 'clients[1]: missing id'],
    [
      'a duplicate id',
      entry(`id: first\n    keySha256: ${HASH_B}\n    prefixes: [a]`),
      'clients[1] (id "first"): duplicate id (also clients[0])',
    ],
    [
      'a duplicate hash',
      entry(`id: second\n    keySha256: ${HASH_A.toUpperCase()}\n    prefixes: [a]`),
      'clients[1] (id "second"): duplicate keySha256',
    ],
    [
      'a short hash',
      entry('id: second\n    keySha256: abc123\n    prefixes: [a]'),
      'clients[1] (id "second"): keySha256 must be 64 hex digits',
    ],
    [
      'a non-hex hash',
      entry(`id: second\n    keySha256: ${'g'.repeat(64)}\n    prefixes: [a]`),
      'keySha256 must be 64 hex digits',
    ],
    ['a missing hash', entry('id: second\n    prefixes: [a]'), 'clients[1] (id "second"): missing keySha256'],
    [
      'an unknown operation',
      entry(`id: second\n    keySha256: ${HASH_B}\n    prefixes: [a]\n    operations: [lookup, write]`),
      'clients[1] (id "second"): unknown operation "write"',
    ],
    [
      'an unknown field',
      entry(`id: second\n    keySha256: ${HASH_B}\n    prefix: [a]`),
      'clients[1] (id "second"): unknown field "prefix"',
    ],
    ['no prefixes', entry(`id: second\n    keySha256: ${HASH_B}`), 'clients[1] (id "second"): missing prefixes'],
    [
      'an empty prefix list',
      entry(`id: second\n    keySha256: ${HASH_B}\n    prefixes: []`),
      'prefixes must be a non-empty list',
    ],
    [
      'a number as prefix',
      entry(`id: second\n    keySha256: ${HASH_B}\n    prefixes: [7]`),
      'prefixes must be strings',
    ],
    ['a prefix with a space', entry(`id: second\n    keySha256: ${HASH_B}\n    prefixes: ["a b"]`), 'holds whitespace'],
    ['a lone surrogate', entry(`id: second\n    keySha256: ${HASH_B}\n    prefixes: ["\\uD800"]`), 'not valid Unicode'],
    ['the reserved id', entry(`id: anonymous\n    keySha256: ${HASH_B}\n    prefixes: [a]`), '"anonymous" is reserved'],
    [
      'an id with a space',
      entry(`id: "two words"\n    keySha256: ${HASH_B}\n    prefixes: [a]`),
      'clients[1]: id must be',
    ],
    ['no clients', 'clients: []\n', '"clients" is empty'],
    ['no clients list', 'client:\n  - id: a\n', 'expected a mapping with a "clients" list'],
    ['a list at the top', '- id: a\n', 'expected a mapping with a "clients" list'],
    [
      'an unknown field beside "clients"',
      `clientz: 1\nclients:\n  - id: a\n    keySha256: ${HASH_A}\n    prefixes: [a]\n`,
      'unknown field "clientz": only "clients"',
    ],
    [
      'an id that YAML reads as a number',
      entry(`id: 42\n    keySha256: ${HASH_B}\n    prefixes: [a]`),
      'clients[1]: id must be 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit, as a quoted string (YAML read a number)',
    ],
    [
      'a hash of decimal digits that YAML reads as a number',
      entry(`id: second\n    keySha256: ${'1'.repeat(64)}\n    prefixes: [a]`),
      'as a quoted string (YAML read a number)',
    ],
  ])('refuses %s, naming the entry and the problem', (_case, text, message) => {
    expect(() => parseAccessFile(text)).toThrow(message);
  });

  it('never quotes a hash in its messages, even for a syntax error on the hash line', () => {
    const broken = `clients:\n  - id: a\n    keySha256: ${HASH_A}: [\n`;
    expect(() => parseAccessFile(broken)).toThrow(/not valid YAML or JSON \(\w+ at line \d+, column \d+\)/);
    for (const text of [broken, entry(`id: first\n    keySha256: ${HASH_A}\n    prefixes: [a]`)]) {
      try {
        parseAccessFile(text);
      } catch (error) {
        expect((error as Error).message).not.toMatch(/aaaaaaaa/i);
      }
    }
  });
});

describe('readAccessFile', () => {
  it('refuses bytes that are not UTF-8 rather than reading them as U+FFFD', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-access-'));
    try {
      const path = join(dir, 'access.yaml');
      const head = Buffer.from(`clients:\n  - id: a\n    keySha256: ${HASH_A}\n    prefixes: ["`);
      writeFileSync(path, Buffer.concat([head, Buffer.from([0xff]), Buffer.from('"]\n')]));
      expect(() => readAccessFile(path)).toThrow(`KV_ACCESS_FILE="${path}": not valid UTF-8`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
