import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AccessModule } from './access/access.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { validateEnvironment, type AppConfig } from './config/environment.js';
import { DatasetModule } from './dataset/dataset.module.js';
import { HealthModule } from './health/health.module.js';
import { KeyValueModule } from './key-value/key-value.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';
import { MetricsModule } from './metrics/metrics.module.js';

@Module({})
export class AppModule {
  /**
   * @param environment the variables to configure from; `process.env` in production,
   *   a literal object in tests (so tests never have to mutate the process environment).
   */
  static forRoot(environment: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validate: () => validateEnvironment(environment),
        }),
        LoggerModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<AppConfig, true>) => ({
            pinoHttp: {
              level: config.get('logging', { infer: true }).level,
              autoLogging: false,
              // Secrets never reach a log line, whoever logs a request or response object.
              redact: {
                paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
                censor: '[redacted]',
              },
              // Pretty, human-oriented output only when asked for (npm run start:dev).
              transport: process.env.KV_LOG_PRETTY === 'true' ? { target: 'pino-pretty' } : undefined,
            },
            // No per-request pino-http middleware: it would bind the whole request (URL
            // with its key, headers) to every line logged while answering, and costs a
            // child logger and an async-context switch per request. Request ids and the
            // access log come from Fastify hooks instead (src/http/request-hooks.ts).
            forRoutes: [],
          }),
        }),
        LifecycleModule,
        DatasetModule,
        KeyValueModule,
        AccessModule,
        MetricsModule,
        HealthModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
