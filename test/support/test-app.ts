import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/create-app.js';

export interface TestApp {
  app: NestFastifyApplication;
  dataFile: string;
  close(): Promise<void>;
}

/**
 * Writes `data` to a temporary data file and starts the application on it, without
 * listening. `beforeInit` runs once the application exists, before its routes are
 * registered (to watch them being registered, say).
 */
export async function startTestApp(
  data: string | Buffer,
  environment: NodeJS.ProcessEnv = {},
  beforeInit: (app: NestFastifyApplication) => void = () => undefined,
): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'kv-e2e-'));
  const dataFile = join(dir, 'test.data');
  await writeFile(dataFile, data);
  const app = await createApp({ LOG_LEVEL: 'silent', KV_DATA_FILE_PATH: dataFile, ...environment });
  beforeInit(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    dataFile,
    async close() {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
