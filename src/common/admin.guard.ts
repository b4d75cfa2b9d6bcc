import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { appConfig } from '../config/app.config';
import { isSameToken, presentedBearer } from './bearer-token';

export const ADMIN_NAME = 'adminName';

/** `Authorization: Bearer <ADMIN_TOKEN>`; remembers which operator's token it was, for the audit trail. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(appConfig.KEY) private readonly config: ConfigType<typeof appConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { [ADMIN_NAME]?: string }>();
    const presented = presentedBearer(request.headers.authorization);
    const operator = this.config.adminTokens.find(({ token }) => isSameToken(token, presented));
    if (!operator) throw new UnauthorizedException('a valid admin bearer token is required');
    request[ADMIN_NAME] = operator.name;
    return true;
  }
}
