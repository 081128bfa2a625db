import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import { ErrorReply, sendError } from '../common/error-reply.js';
import type { DeclaredRouteFacts } from '../common/route-facts.js';
import type { AppConfig } from '../config/environment.js';
import { FileChangeWatcher } from '../dataset/file-change-watcher.js';
import { readAccessFile } from './access-file.js';
import { clientRoleCheck, type AccessCheck } from './access-check.js';
import { bearerToken } from './bearer-token.js';
import { AccessRules, type ClientRequestCounts, type ClientRole } from './client-role.js';

/** Why a request was refused, as the denial's log line says it. */
export type DenialReason =
  'no API key' | 'unknown API key' | 'operation not allowed' | 'key outside prefixes' | 'prefix outside prefixes';

export const ANONYMOUS = 'anonymous';

/**
 * Client roles (KV_ACCESS_FILE): the current version of the rules, re-read on SIGHUP
 * and whenever the file changes (including the symlink swap of a Kubernetes Secret),
 * and swapped in one step: a request identified by the old version keeps its role. A
 * new file that does not validate keeps the rules in force, and the log says why.
 *
 * Requests are counted per client id, in counters that outlive rotations: an id
 * removed from the file keeps its series (frozen) until the process restarts, so the
 * label set is bounded by the ids the files named, plus `anonymous`.
 */
@Injectable()
export class ClientRolesService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AccessControl');
  private readonly path: string | undefined;
  private rules: AccessRules | undefined;
  private readonly counts = new Map<string, ClientRequestCounts>();
  private anonymousDenied = 0;
  private readonly watcher: FileChangeWatcher | undefined;
  private readonly onSighup = () => this.reread('SIGHUP');

  constructor(config: ConfigService<AppConfig, true>) {
    const clientRoles = config.get('access', { infer: true }).clientRoles;
    if (clientRoles === undefined) return;
    this.path = clientRoles.path;
    // Made now, just after the configuration read the file, so that a change during the
    // first load (which can take a while) is caught when watching starts.
    this.watcher = new FileChangeWatcher(
      this.path,
      () => this.reread('file change'),
      (error) =>
        this.logger.error({ msg: 'Watching the access file failed; re-read it with SIGHUP', error: error.message }),
    );
    this.rules = new AccessRules(clientRoles.clients, (id) => this.countsFor(id));
    this.logger.log({ msg: 'Client roles on: /keys and /key need a client API key', clients: this.rules.clients });
  }

  get enabled(): boolean {
    return this.rules !== undefined;
  }

  /** The check a protected route gets with client roles on: identification, then the route's operation. */
  checkFor(route: DeclaredRouteFacts, template: string): AccessCheck | undefined {
    if (this.rules === undefined || !route.protected || route.operation === undefined) return undefined;
    return clientRoleCheck(this, route.operation, template);
  }

  /** The client an `Authorization` header names, in the rules in force now; counted. */
  identify(authorization: string | undefined): ClientRole | undefined {
    const token = bearerToken(authorization);
    const client = token === undefined ? undefined : this.rules?.identify(token);
    if (client !== undefined) client.counts.identified++;
    return client;
  }

  /** Answers 401 for a request that named no client, and logs the denial. */
  unauthorized(reply: FastifyReply, route: string, reason: DenialReason, answer: ErrorReply): void {
    this.recordUnauthorized(route, reason);
    reply.header('www-authenticate', 'Bearer');
    sendError(reply, answer);
  }

  /** Answers 403 for what the client's role does not allow, and logs the denial. */
  forbidden(reply: FastifyReply, client: ClientRole, route: string, reason: DenialReason, answer: ErrorReply): void {
    this.recordForbidden(client, route, reason);
    sendError(reply, answer);
  }

  /** Counts and logs a 401 answered by the caller. */
  recordUnauthorized(route: string, reason: DenialReason): void {
    this.anonymousDenied++;
    this.logger.log({ msg: 'Access denied', client: ANONYMOUS, route, reason });
  }

  /** Counts and logs a 403 answered by the caller (through Nest's exception filter). */
  recordForbidden(client: ClientRole, route: string, reason: DenialReason): void {
    client.counts.denied++;
    this.logger.log({ msg: 'Access denied', client: client.id, route, reason });
  }

  /** Requests by client id and outcome since start-up, for /metrics. */
  requestCounts(): { client: string; outcome: 'allowed' | 'denied'; value: number }[] {
    const rows = [...this.counts].flatMap(([client, { identified, denied }]) => [
      { client, outcome: 'allowed' as const, value: identified - denied },
      { client, outcome: 'denied' as const, value: denied },
    ]);
    if (this.enabled) rows.push({ client: ANONYMOUS, outcome: 'denied', value: this.anonymousDenied });
    return rows;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.path === undefined) return;
    process.on('SIGHUP', this.onSighup);
    await this.watcher?.start();
  }

  onApplicationShutdown(): void {
    process.off('SIGHUP', this.onSighup);
    this.watcher?.close();
  }

  /** Reads the file again and swaps the rules in one assignment; a bad file changes nothing. */
  reread(trigger: string): void {
    if (this.path === undefined) return;
    try {
      const next = new AccessRules(readAccessFile(this.path), (id) => this.countsFor(id));
      this.rules = next;
      this.logger.log({ msg: 'Access file re-read', trigger, clients: next.clients });
    } catch (error) {
      // An AccessFileError names the entry and the problem, never a hash.
      this.logger.error({
        msg: 'Re-reading the access file failed; the previous rules stay in force',
        trigger,
        error: (error as Error).message,
      });
    }
  }

  private countsFor(id: string): ClientRequestCounts {
    let counts = this.counts.get(id);
    if (counts === undefined) {
      counts = { identified: 0, denied: 0 };
      this.counts.set(id, counts);
    }
    return counts;
  }
}
