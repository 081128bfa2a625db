import { Controller, HttpCode, InternalServerErrorException, Post, Res } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ErrorReply, sendError } from '../common/error-reply.js';
import { ServedRoute } from '../common/route-facts.js';
import { clientRoleCheck, type AccessCheck } from '../access/access-check.js';
import { bearerToken, digestSecrets, matchesSecret } from '../access/bearer-token.js';
import { ClientRolesService } from '../access/client-roles.service.js';
import type { AppConfig } from '../config/environment.js';
import { DatasetService, type ReloadResult } from './dataset.service.js';

const ROUTE = '/admin/reload';
const ADMIN_TOKEN_REQUIRED = new ErrorReply(401, 'A valid admin bearer token is required');
const TOKEN_OR_CLIENT_REQUIRED = new ErrorReply(401, 'A valid admin token or client API key is required');

@ApiTags('operations')
@Controller('admin')
export class AdminReloadController {
  private readonly tokenDigests: Buffer[] | undefined;
  private readonly roleCheck: AccessCheck;

  constructor(
    private readonly datasets: DatasetService,
    config: ConfigService<AppConfig, true>,
    private readonly clientRoles: ClientRolesService,
  ) {
    const token = config.get('access', { infer: true }).adminToken;
    this.tokenDigests = token === undefined ? undefined : digestSecrets([token]);
    this.roleCheck = clientRoleCheck(clientRoles, 'reload', ROUTE, TOKEN_OR_CLIENT_REQUIRED);
  }

  /**
   * Reloads the data file and answers once the new data serves (200), or with the load
   * error (500) while the old data keeps serving. Exists only when an admin token is
   * set or client roles are on; then the admin token, or a client whose role allows
   * `reload`, may call it.
   */
  @Post('reload')
  @ServedRoute({ check: 'checkCredentials' })
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Reload the data file now (only when KV_ADMIN_TOKEN, KV_ADMIN_TOKEN_FILE or KV_ACCESS_FILE is set)',
  })
  @ApiOkResponse({ description: 'The new dataset serves: `{at, trigger, outcome, error, dataset}`' })
  @ApiErrors(
    [401, 'Missing or wrong bearer token'],
    [403, 'A client (KV_ACCESS_FILE) whose role does not allow reload'],
    [404, 'No admin token configured and client roles off'],
    [500, 'The load failed; the old data keeps serving'],
  )
  async reload(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReloadResult> {
    reply.header('cache-control', 'no-store');
    const result = await this.datasets.reload('POST /admin/reload');
    if (result.outcome === 'failure') throw new InternalServerErrorException(`Reload failed: ${result.error}`);
    return result;
  }

  /**
   * The route's `onRequest` hook (its `check`): the endpoint's existence and the
   * caller's credentials are decided before the body is read, so a caller without them
   * gets the same 404 or 401 whatever it sent (an empty or broken JSON body, say).
   */
  checkCredentials(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (this.tokenDigests === undefined && !this.clientRoles.enabled) {
      sendError(reply, new ErrorReply(404, `Cannot POST ${request.url}`));
      return;
    }
    const { authorization } = request.headers;
    const token = bearerToken(authorization);
    if (token !== undefined && this.tokenDigests !== undefined && matchesSecret(token, this.tokenDigests)) {
      done();
      return;
    }
    if (this.clientRoles.enabled) {
      // Not the admin token: a client whose role allows reload, decided as on the key routes.
      this.roleCheck(request, reply, done);
      return;
    }
    reply.header('www-authenticate', 'Bearer');
    sendError(reply, ADMIN_TOKEN_REQUIRED);
  }
}
