/**
 * JSON request bodies, parsed with bounds on the work they can cause.
 *
 * `JSON.parse` itself copes with a deeply nested body, but what comes after it
 * (class-transformer, class-validator) walks it recursively: a 10 KB body nested
 * 5,000 deep overflowed the stack (a 500 and a stack trace in the log) and blocked the
 * event loop for up to half a second. So nesting depth and the number of values are
 * counted first, in one linear pass over the text that allocates nothing, and a body
 * over either bound is refused before anything else sees it. Nothing in the API
 * needs more than a few levels (`{"keys": [...]}` is two), or more values than a full
 * batch holds.
 *
 * Field names that touch object prototypes (`__proto__`, `constructor`, `prototype`)
 * are refused by name: no body of this API has such a field, and a transformation
 * library must never be handed one.
 */

/** Deepest nesting of arrays and objects accepted. */
export const MAX_JSON_DEPTH = 16;
/** Most values (array elements and object members) accepted in one body. */
export const MAX_JSON_VALUES = 2_048;
const FORBIDDEN_FIELDS = new Set(['__proto__', 'constructor', 'prototype']);

/** A body refused for its shape; its message is written for the client. */
export class JsonBodyError extends Error {
  readonly statusCode = 400;
}

export function parseBoundedJson(text: string): unknown {
  // Not text.trim(): that copies the whole body.
  if (!/\S/.test(text)) throw new JsonBodyError('Body is empty: a JSON document is required');
  let depth = 0;
  let values = 1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 /* " */) {
      // Skip the string, escapes included: brackets and commas inside it are text.
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === 0x5c /* \ */) i++;
        else if (inner === 0x22) break;
      }
    } else if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new JsonBodyError(`Body is nested more than ${MAX_JSON_DEPTH} levels deep`);
      }
    } else if (code === 0x5d /* ] */ || code === 0x7d /* } */) {
      depth--;
    } else if (code === 0x2c /* , */) {
      if (++values > MAX_JSON_VALUES) throw new JsonBodyError(`Body holds more than ${MAX_JSON_VALUES} JSON values`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JsonBodyError('Body is not valid JSON');
  }
  const field = forbiddenField(value, 0);
  if (field !== undefined) throw new JsonBodyError(`Body field "${field}" is not allowed`);
  return value;
}

/** The first field name that touches prototypes, anywhere in the (already bounded) value. */
function forbiddenField(value: unknown, depth: number): string | undefined {
  if (typeof value !== 'object' || value === null || depth > MAX_JSON_DEPTH) return undefined;
  if (Array.isArray(value)) {
    for (const element of value) {
      const found = forbiddenField(element, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_FIELDS.has(key)) return key;
    const found = forbiddenField((value as Record<string, unknown>)[key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
