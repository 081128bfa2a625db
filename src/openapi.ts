import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { openApiStylePath } from './common/route-facts.js';
import type { WiredRoute } from './http/route-wiring.js';

export const DOCS_PATH = 'docs';
export const OPENAPI_JSON_PATH = 'docs/openapi.json';

/**
 * The document @nestjs/swagger builds from the controllers, with each path under the
 * template its route declares: the look-ups are Fastify wildcards, which the document
 * would otherwise call `/keys/{path}`.
 */
export function buildOpenApiDocument(app: NestFastifyApplication, routes: readonly WiredRoute[]): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('kv-server')
    .setDescription(
      'A read-only, in-memory key-value service. Look-ups answer `{"<key>": "<value>"}`; every error is ' +
        '`{"statusCode", "error", "message"}`. Look-up, batch and listing answers carry `KV-Dataset-Version`.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: "API key (KV_API_KEYS), a client's API key (KV_ACCESS_FILE) or the admin token",
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  for (const { url, template } of routes) {
    const generated = openApiStylePath(url);
    if (generated !== template && document.paths[generated] !== undefined) {
      document.paths[template] = document.paths[generated];
      delete document.paths[generated];
    }
  }
  return document;
}

/** Serves the interactive documentation at /docs and the document at /docs/openapi.json. */
export function setUpOpenApi(app: NestFastifyApplication, routes: readonly WiredRoute[]): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app, routes), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'docs/openapi.yaml',
  });
}
