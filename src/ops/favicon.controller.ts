import { Controller, Get, Header, HttpCode, HttpStatus } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { FAVICON_SVG } from './favicon';

/** A day: the icon changes with a release at most, and a browser asks for it on every page otherwise. */
const CACHE = 'public, max-age=86400';

@ApiExcludeController()
@Controller()
export class FaviconController {
  @Get('favicon.svg')
  @Header('content-type', 'image/svg+xml')
  @Header('cache-control', CACHE)
  icon(): string {
    return FAVICON_SVG;
  }

  /**
   * What a browser asks for when a page names no icon (Swagger UI's JSON, an API answer opened
   * in a tab): an empty answer instead of a 404 in the request log. The console links the SVG.
   */
  @Get('favicon.ico')
  @HttpCode(HttpStatus.NO_CONTENT)
  @Header('cache-control', CACHE)
  noIcon(): void {}
}
