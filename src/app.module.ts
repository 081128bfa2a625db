import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AdminModule } from './admin/admin.module.js';
import { HttpExceptionFilter } from './common/http-exception.filter.js';
import { validateEnvironment, type AppConfig } from './config/environment.js';
import { HealthModule } from './health/health.module.js';
import { KeyValueModule } from './key-value/key-value.module.js';
import { LifecycleModule } from './lifecycle/lifecycle.module.js';

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
              // Pretty, human-oriented output only when asked for (npm run start:dev).
              transport: process.env.KV_LOG_PRETTY === 'true' ? { target: 'pino-pretty' } : undefined,
            },
          }),
        }),
        LifecycleModule,
        KeyValueModule,
        HealthModule,
        AdminModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }],
    };
  }
}
