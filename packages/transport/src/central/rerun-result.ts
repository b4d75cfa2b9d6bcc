import { IsIn, IsInt, IsString, IsUUID, Length, Matches, Min, ValidateIf } from 'class-validator';
import { InvalidMessageError, parseObject, validShape } from '../validation';
import { SERVICE_QUEUE } from './error-report';

export class InvalidRerunResultError extends InvalidMessageError {
  readonly name = 'InvalidRerunResultError';
}

/** How a service's re-run of one failed message went, on `backstop.rerun-results`. */
export class RerunResult {
  @IsUUID() failedMessageId: string;
  @IsString() @Matches(SERVICE_QUEUE) queue: string;
  @IsIn(['RESOLVED', 'FAILED']) outcome: 'RESOLVED' | 'FAILED';
  @IsInt() @Min(1) attempt: number;
  /** With FAILED: the error and the top of its stack. */
  @ValidateIf((result: RerunResult) => result.outcome === 'FAILED') @IsString() @Length(1, 10_000) error?: string;
  /** With FAILED: the short form kept in the row's list of errors. */
  @ValidateIf((result: RerunResult) => result.outcome === 'FAILED') @IsString() @Length(1, 1_000) summary?: string;
}

export function readRerunResult(content: Buffer): RerunResult {
  return validShape(RerunResult, parseObject(content, InvalidRerunResultError), InvalidRerunResultError, 'rerun result');
}
