import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { appConfig } from '../config/app.config';

export const ADMIN_NAME = 'adminName';

/** `Authorization: Bearer <ADMIN_TOKEN>`; remembers which operator's token it was, for the audit trail. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { [ADMIN_NAME]?: string }>();
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const presented = Buffer.from(match?.[1] ?? '');
    const operator = this.config.adminTokens.find(({ token }) => {
      const expected = Buffer.from(token);
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
    if (!operator) throw new UnauthorizedException('a valid admin bearer token is required');
    request[ADMIN_NAME] = operator.name;
    return true;
  }
}
