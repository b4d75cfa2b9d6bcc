import { Catch, RpcExceptionFilter } from '@nestjs/common';
import { Observable, throwError } from 'rxjs';

/**
 * Hands a handler's error to the transport as it was thrown. Nest's default RPC filter
 * replaces every error that is not an `RpcException` with "Internal server error", and the
 * failure console should show what really went wrong.
 */
@Catch()
export class BackstopErrorFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
