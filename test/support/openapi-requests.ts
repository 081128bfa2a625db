import fc from 'fast-check';
import {
  acceptHeader,
  authorizationHeader,
  contentTypeHeader,
  encodedText,
  headerName,
  headerValue,
  ifNoneMatchHeader,
  pathValue,
  queryValue,
  rarely,
} from './http-values.js';

/**
 * fast-check generators of HTTP requests made from the service's OpenAPI document: each
 * operation's path, method, parameters and body schema, filled with the values of
 * http-values.ts, and sent with the headers the operations read.
 */

export interface JsonSchema {
  $ref?: string;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: JsonSchema;
}

interface OperationObject {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** One operation as the document describes it; HEAD is added for every GET (Fastify serves it). */
export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  bodySchema: JsonSchema | undefined;
  /** The statuses the document gives this operation. */
  statuses: number[];
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const described: Operation = {
        method: method.toUpperCase(),
        path,
        parameters: operation.parameters ?? [],
        bodySchema: operation.requestBody?.content['application/json']?.schema,
        statuses: Object.keys(operation.responses).map(Number),
      };
      operations.push(described);
      if (described.method === 'GET') operations.push({ ...described, method: 'HEAD' });
    }
  }
  return operations;
}

/** A request ready to be framed: method, target and headers as they go on the wire. */
export interface GeneratedRequest {
  operation: Operation;
  method: string;
  target: string;
  headers: [string, string][];
  body: Buffer | undefined;
  chunked: boolean;
}

/** The documented query parameters, each present or not; rarely one twice, or an unknown one. */
function queryString(parameters: Parameter[], knownKeys: string[]): fc.Arbitrary<string> {
  const documented = parameters.filter((parameter) => parameter.in === 'query');
  const value = (parameter: Parameter) => fc.option(queryValue(parameter.schema?.type, knownKeys), { nil: undefined });
  const unknown = fc.oneof(
    { weight: 4, arbitrary: fc.constant([]) },
    fc.array(fc.tuple(encodedText(8), encodedText(8)), { minLength: 1, maxLength: 2 }),
  );
  return fc.tuple(fc.tuple(...documented.map(value)), unknown, rarely()).map(([values, extra, repeatFirst]) => {
    const pairs = documented.flatMap((parameter, i) => (values[i] === undefined ? [] : [[parameter.name, values[i]]]));
    if (repeatFirst && pairs.length > 0) pairs.push(pairs[0]);
    const all = [...pairs, ...extra].map(([name, text]) => `${name}=${text}`);
    return all.length === 0 ? '' : `?${all.join('&')}`;
  });
}

/**
 * JSON values for a schema of the subset the document uses (object, array, string,
 * integer, `$ref`), arrays also at their bounds and one past them; strings are often
 * keys the dataset holds. By hand because the JSON-Schema-to-fast-check packages found
 * are unmaintained and target fast-check 1.
 */
export function valueForSchema(
  schema: JsonSchema,
  document: OpenApiDocument,
  knownKeys: string[],
): fc.Arbitrary<unknown> {
  const valueFor = (inner: JsonSchema) => valueForSchema(inner, document, knownKeys);
  if (schema.$ref !== undefined) return valueFor(document.components!.schemas![schema.$ref.split('/').pop()!]);
  switch (schema.type) {
    case 'object': {
      const properties: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, inner] of Object.entries(schema.properties ?? {})) properties[name] = valueFor(inner);
      return fc.record(properties, { requiredKeys: schema.required ?? [] });
    }
    case 'array': {
      const items = valueFor(schema.items ?? {});
      const min = schema.minItems ?? 0;
      const max = schema.maxItems ?? 100;
      const boundaries = [min, max, max + 1, ...(min > 0 ? [min - 1] : [])];
      return fc.oneof(
        { weight: 4, arbitrary: fc.array(items, { minLength: min, maxLength: Math.min(max, 20) }) },
        fc.constantFrom(...boundaries).chain((length) => fc.array(items, { minLength: length, maxLength: length })),
      );
    }
    case 'string':
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...knownKeys) },
        fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
        fc.constantFrom('', 'a b', 'café'),
      );
    case 'integer':
      return fc.integer();
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

/** A JSON body for `schema`: mostly valid, sometimes with an extra field, or any JSON. */
function jsonBody(schema: JsonSchema, document: OpenApiDocument, knownKeys: string[]): fc.Arbitrary<Buffer> {
  const valid = valueForSchema(schema, document, knownKeys);
  const withExtraField = fc
    .tuple(valid, fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))
    .map(([value, field, extra]) => ({ ...(value as object), [field]: extra }));
  return fc
    .oneof({ weight: 6, arbitrary: valid }, withExtraField, fc.jsonValue({ maxDepth: 4 }))
    .map((value) => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'));
}

/** Headers the test frames itself, or that would make another request of this one. */
const FRAMING_HEADERS = /^(host|content-length|transfer-encoding|connection|expect)$/i;

/**
 * Requests for `operation`: its path filled in, its query parameters, a body for its
 * schema when it has one, and the headers look-ups and the batch read, each present or
 * not; rarely a second Host header.
 */
export function requestsFor(
  operation: Operation,
  document: OpenApiDocument,
  knownKeys: string[],
  adminToken: string,
): fc.Arbitrary<GeneratedRequest> {
  const pathNames = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
  const option = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
  const body = operation.bodySchema && option(jsonBody(operation.bodySchema, document, knownKeys));
  return fc
    .record({
      pathValues: fc.tuple(...pathNames.map(() => pathValue(knownKeys))),
      query: queryString(operation.parameters, knownKeys),
      accept: option(acceptHeader),
      ifNoneMatch: option(ifNoneMatchHeader),
      authorization: option(authorizationHeader(adminToken)),
      contentType: contentTypeHeader,
      extra: fc.array(fc.tuple(headerName, headerValue), { maxLength: 3 }),
      secondHost: rarely(),
      body: body ?? fc.constant(undefined),
      chunked: fc.boolean(),
    })
    .map((drawn) => {
      let path = operation.path;
      pathNames.forEach((name, i) => (path = path.replace(`{${name}}`, drawn.pathValues[i])));
      const headers: [string, string][] = [];
      if (drawn.secondHost) headers.push(['Host', 'other.example']);
      if (drawn.accept !== undefined) headers.push(['Accept', drawn.accept]);
      if (drawn.ifNoneMatch !== undefined) headers.push(['If-None-Match', drawn.ifNoneMatch]);
      if (drawn.authorization !== undefined) headers.push(['Authorization', drawn.authorization]);
      if (drawn.contentType !== undefined && drawn.body !== undefined)
        headers.push(['Content-Type', drawn.contentType]);
      headers.push(...drawn.extra.filter(([name]) => !FRAMING_HEADERS.test(name)));
      const target = `${path}${drawn.query}`;
      return { operation, method: operation.method, target, headers, body: drawn.body, chunked: drawn.chunked };
    });
}
