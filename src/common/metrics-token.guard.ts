import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { httpConfig } from '../config/http.config';
import { isSameToken, presentedBearer } from './bearer-token';

/**
 * `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set; open otherwise, for the
 * scrapers inside a private network that have always read it without one.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  constructor(@Inject(httpConfig.KEY) private readonly config: ConfigType<typeof httpConfig>) {}

  canActivate(context: ExecutionContext): boolean {
    const { metricsToken } = this.config;
    if (metricsToken === undefined) return true;
    const presented = presentedBearer(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
    if (!isSameToken(metricsToken, presented)) throw new UnauthorizedException('a valid metrics bearer token (METRICS_TOKEN) is required');
    return true;
  }
}
