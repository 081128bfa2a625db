import { Injectable, UnsupportedMediaTypeException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * 415 unless the request declares a JSON body (`application/json` or a `+json` type).
 * A guard, so that it runs before validation: a form-encoded body is the wrong media
 * type, not a badly validated one.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const type = request.headers['content-type']?.split(';')[0].trim().toLowerCase();
    if (type === undefined || !(type === 'application/json' || type.endsWith('+json'))) {
      throw new UnsupportedMediaTypeException('Content-Type must be application/json');
    }
    return true;
  }
}
