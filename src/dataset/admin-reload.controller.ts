import {
  Controller,
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
import type { AppConfig } from '../config/environment.js';
import { DatasetService, type ReloadResult } from './dataset.service.js';

@ApiTags('operations')
@Controller('admin')
export class AdminReloadController {
  private readonly tokenDigests: Buffer[] | undefined;

  constructor(
    private readonly datasets: DatasetService,
    config: ConfigService<AppConfig, true>,
  ) {
    const token = config.get('access', { infer: true }).adminToken;
    this.tokenDigests = token === undefined ? undefined : digestSecrets([token]);
  }

  /**
   * Reloads the data file and answers once the new data serves (200), or with the load
   * error (500) while the old data keeps serving. Exists only when an admin token is set.
   */
  @Post('reload')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Reload the data file now (only when KV_ADMIN_TOKEN or KV_ADMIN_TOKEN_FILE is set)' })
  @ApiOkResponse({ description: 'The new dataset serves: `{at, trigger, outcome, error, dataset}`' })
  @ApiErrors(
    [401, 'Missing or wrong bearer token'],
    [404, 'No admin token configured'],
    [500, 'The load failed; the old data keeps serving'],
  )
  async reload(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ReloadResult> {
    if (this.tokenDigests === undefined) throw new NotFoundException(`Cannot POST ${request.url}`);
    const token = bearerToken(request.headers.authorization);
    if (token === undefined || !matchesSecret(token, this.tokenDigests)) {
      reply.header('www-authenticate', 'Bearer');
      throw new UnauthorizedException('A valid admin bearer token is required');
    }
    reply.header('cache-control', 'no-store');
    const result = await this.datasets.reload('POST /admin/reload');
    if (result.outcome === 'failure') throw new InternalServerErrorException(`Reload failed: ${result.error}`);
    return result;
  }
}
