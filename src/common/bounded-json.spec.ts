import fc from 'fast-check';
import { MAX_JSON_DEPTH, MAX_JSON_VALUES, parseBoundedJson } from './bounded-json.js';

/** Depth of a value as the model counts it: each array or object is one level. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('parseBoundedJson', () => {
  it('parses what JSON.parse parses, within the bounds', () => {
    const safeKey = fc.string().filter((key) => !['__proto__', 'constructor', 'prototype'].includes(key));
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)),
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(safeKey, tie('value'), { maxKeys: 5 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        fc.pre(depthOf(value) <= MAX_JSON_DEPTH);
        const text = JSON.stringify(value);
        expect(parseBoundedJson(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it(`accepts ${MAX_JSON_DEPTH} levels and refuses one more`, () => {
    expect(parseBoundedJson(nested(MAX_JSON_DEPTH))).toEqual(JSON.parse(nested(MAX_JSON_DEPTH)));
    expect(() => parseBoundedJson(nested(MAX_JSON_DEPTH + 1))).toThrow(/nested more than 16 levels/);
    expect(() => parseBoundedJson('{"a":'.repeat(5000))).toThrow(/nested more than/);
  });

  it('does not count brackets and commas inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ keys: ['[[[[', '"{{{', ',,,'.repeat(5000), 'a\\"[[[[[[[[[[[[[[[[[[[['] });
    expect(parseBoundedJson(text)).toEqual(JSON.parse(text));
  });

  it(`refuses more than ${MAX_JSON_VALUES} values`, () => {
    const many = (n: number) => JSON.stringify({ keys: Array.from({ length: n }, () => 'k') });
    expect(parseBoundedJson(many(1000))).toEqual(JSON.parse(many(1000)));
    expect(() => parseBoundedJson(many(MAX_JSON_VALUES + 1))).toThrow(/more than 2048 JSON values/);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('names a %s field, at any depth', (field) => {
    expect(() => parseBoundedJson(`{"${field}": {}}`)).toThrow(`Body field "${field}" is not allowed`);
    expect(() => parseBoundedJson(`{"keys": [{"${field}": 1}]}`)).toThrow(`Body field "${field}" is not allowed`);
  });

  it.each(['', '  ', '{', '{"keys": [1,]}', 'nul'])('refuses %p as not JSON, with status 400', (text) => {
    expect(() => parseBoundedJson(text)).toThrow(expect.objectContaining({ statusCode: 400 }));
  });
});
