import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { DeclaredRouteFacts } from '../common/route-facts.js';
import type { AppConfig } from '../config/environment.js';
import { readSecretListFile } from '../config/secrets.js';
import { DatasetService } from '../dataset/dataset.service.js';
import { apiKeyCheck, type AccessCheck } from './access-check.js';
import { bearerToken, digestSecrets, matchesSecret } from './bearer-token.js';

/**
 * The API keys of KV_API_KEYS or KV_API_KEYS_FILE, kept only as digests. Keys from a
 * file are read again after every reload (SIGHUP, POST /admin/reload, a data file
 * change), successful or not: rotating or revoking a key must not wait for a loadable
 * data file. A re-read that fails or finds no key keeps the keys in force.
 */
@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);
  private digests: Buffer[] | undefined;

  constructor(config: ConfigService<AppConfig, true>, datasets: DatasetService) {
    const { apiKeys, apiKeysFile, clientRoles } = config.get('access', { infer: true });
    if (apiKeys === undefined) {
      // With client roles on, ClientRolesService says so.
      if (clientRoles === undefined) this.logger.log('Access control off: /keys and /key need no API key');
      return;
    }
    this.digests = digestSecrets(apiKeys);
    const source = apiKeysFile === undefined ? 'KV_API_KEYS' : 'KV_API_KEYS_FILE';
    this.logger.log({ msg: 'Access control on: /keys and /key need an API key', keys: apiKeys.length, source });
    if (apiKeysFile !== undefined) datasets.onReload(() => this.reread(apiKeysFile));
  }

  get enabled(): boolean {
    return this.digests !== undefined;
  }

  /** The check a route gets: none unless keys are set and the route is protected, so it costs nothing otherwise. */
  checkFor(route: DeclaredRouteFacts): AccessCheck | undefined {
    return this.enabled && route.protected ? apiKeyCheck(this) : undefined;
  }

  /** Whether an `Authorization` header holds `Bearer <a current key>`; compared in constant time. */
  accepts(authorization: string | undefined): boolean {
    const token = bearerToken(authorization);
    return token !== undefined && this.digests !== undefined && matchesSecret(token, this.digests);
  }

  private reread(path: string): void {
    try {
      const keys = readSecretListFile(path, 'KV_API_KEYS_FILE');
      this.digests = digestSecrets(keys);
      this.logger.log({ msg: 'API keys re-read', keys: keys.length });
    } catch (error) {
      // A SecretError's message names the variable and the path, never a key.
      this.logger.error({
        msg: 'Re-reading the API keys failed; the previous keys stay in force',
        error: (error as Error).message,
      });
    }
  }
}
