import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

/** Look-up routes are registered as Fastify wildcards; the document names their parameter. */
const WILDCARD_ROUTES: Record<string, string> = { '/keys/{path}': '/keys/{key}', '/key/{path}': '/key/{key}' };

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('kv-server')
    .setDescription(
      'A read-only, in-memory key-value service. Look-ups answer `{"<key>": "<value>"}`; every error is ' +
        '`{"statusCode", "error", "message"}`. Look-up, batch and listing answers carry `KV-Dataset-Version`.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key (KV_API_KEYS) or admin token' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const [wildcard, templated] of Object.entries(WILDCARD_ROUTES)) {
    if (document.paths[wildcard]) {
      document.paths[templated] = document.paths[wildcard];
      delete document.paths[wildcard];
    }
  }
  return document;
}

/** Serves the interactive documentation at /docs and the document at /docs/openapi.json. */
export function setUpOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'docs/openapi.yaml',
  });
}
