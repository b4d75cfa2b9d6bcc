import { DURATION_MESSAGE, DURATION_PATTERN, parseDuration, parseSchedule, SCHEDULE_MESSAGE, SCHEDULE_PATTERN, validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { IsOptional, Matches } from 'class-validator';

class CompensationEnvironment {
  @IsOptional() @Matches(SCHEDULE_PATTERN, { message: SCHEDULE_MESSAGE })
  HANDLER_RETRY_SCHEDULE = '1s,5s,30s';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  SWEEP_INTERVAL = '30s';

  @IsOptional() @Matches(SCHEDULE_PATTERN, { message: SCHEDULE_MESSAGE })
  SWEEP_SCHEDULE = '10m,1h,2h,6h,15h';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  RERUN_LEASE = '15m';
}

export const compensationConfig = registerAs('compensation', () => {
  const environment = validateEnvironment(CompensationEnvironment, process.env);
  return {
    handlerRetryScheduleMs: parseSchedule(environment.HANDLER_RETRY_SCHEDULE),
    sweepIntervalMs: parseDuration(environment.SWEEP_INTERVAL),
    sweepScheduleMs: parseSchedule(environment.SWEEP_SCHEDULE),
    rerunLeaseMs: parseDuration(environment.RERUN_LEASE),
  };
});
export type CompensationConfig = ReturnType<typeof compensationConfig>;
