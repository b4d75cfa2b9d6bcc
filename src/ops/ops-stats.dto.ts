import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

/** The windows and bucket sizes offered; a pair is refused when it would make more than 1000 buckets. */
export const STATS_WINDOWS = ['1h', '6h', '24h', '7d'] as const;
export const STATS_BUCKETS = ['1m', '5m', '15m', '1h'] as const;

export class StatsQuery {
  @ApiPropertyOptional({ enum: STATS_WINDOWS, default: '1h' })
  @IsOptional() @IsIn(STATS_WINDOWS)
  window: (typeof STATS_WINDOWS)[number] = '1h';

  @ApiPropertyOptional({ enum: STATS_BUCKETS, default: '1m', description: 'bucket size; at most 1000 buckets per window' })
  @IsOptional() @IsIn(STATS_BUCKETS)
  bucket: (typeof STATS_BUCKETS)[number] = '1m';
}

export class DeliveryOutcomes {
  @ApiProperty({ type: 'integer' }) delivered: number;
  @ApiProperty({ type: 'integer' }) failed: number;
  @ApiProperty({ type: 'integer', description: 'attempts whose outcome is not recorded (in flight, or their process died)' }) unknown: number;
}

export class HandlerRunOutcomes {
  @ApiProperty({ type: 'integer', description: 'messages a handler processed' }) done: number;
  @ApiProperty({ type: 'integer', description: 'failed attempts recorded in failed messages' }) failed: number;
}

export class StatsBucket {
  @ApiProperty({ format: 'date-time', description: 'start of the bucket' }) at: string;
  @ApiProperty({ type: DeliveryOutcomes }) deliveries: DeliveryOutcomes;
  @ApiProperty({ type: HandlerRunOutcomes }) handlerRuns: HandlerRunOutcomes;
}

export class StatsView {
  @ApiProperty({ enum: STATS_WINDOWS }) window: string;
  @ApiProperty({ enum: STATS_BUCKETS }) bucket: string;
  @ApiProperty({ type: [StatsBucket], description: 'oldest first, one per bucket, empty buckets included' }) buckets: StatsBucket[];
}
