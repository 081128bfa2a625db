import {
  Controller,
  ForbiddenException,
  HttpCode,
  InternalServerErrorException,
  NotFoundException,
  Post,
  Req,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, digestSecrets, matchesSecret } from '../access/bearer-token.js';
import { ClientRolesService } from '../access/client-roles.service.js';
import type { AppConfig } from '../config/environment.js';
import { DatasetService, type ReloadResult } from './dataset.service.js';

const ROUTE = '/admin/reload';

@ApiTags('operations')
@Controller('admin')
export class AdminReloadController {
  private readonly tokenDigests: Buffer[] | undefined;

  constructor(
    private readonly datasets: DatasetService,
    config: ConfigService<AppConfig, true>,
    private readonly clientRoles: ClientRolesService,
  ) {
    const token = config.get('access', { infer: true }).adminToken;
    this.tokenDigests = token === undefined ? undefined : digestSecrets([token]);
  }

  /**
   * Reloads the data file and answers once the new data serves (200), or with the load
   * error (500) while the old data keeps serving. Exists only when an admin token is
   * set or client roles are on; then the admin token, or a client whose role allows
   * `reload`, may call it.
   */
  @Post('reload')
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
  async reload(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ReloadResult> {
    if (this.tokenDigests === undefined && !this.clientRoles.enabled) {
      throw new NotFoundException(`Cannot POST ${request.url}`);
    }
    this.authorize(request, reply);
    reply.header('cache-control', 'no-store');
    const result = await this.datasets.reload('POST /admin/reload');
    if (result.outcome === 'failure') throw new InternalServerErrorException(`Reload failed: ${result.error}`);
    return result;
  }

  private authorize(request: FastifyRequest, reply: FastifyReply): void {
    const { authorization } = request.headers;
    const token = bearerToken(authorization);
    if (token !== undefined && this.tokenDigests !== undefined && matchesSecret(token, this.tokenDigests)) return;
    if (!this.clientRoles.enabled) {
      reply.header('www-authenticate', 'Bearer');
      throw new UnauthorizedException('A valid admin bearer token is required');
    }
    const client = this.clientRoles.identify(authorization);
    if (client === undefined) {
      this.clientRoles.recordUnauthorized(ROUTE, authorization === undefined ? 'no API key' : 'unknown API key');
      reply.header('www-authenticate', 'Bearer');
      throw new UnauthorizedException('A valid admin token or client API key is required');
    }
    if (!client.operations.has('reload')) {
      this.clientRoles.recordForbidden(client, ROUTE, 'operation not allowed');
      throw new ForbiddenException("This client's role does not allow reload");
    }
  }
}
