import { Injectable, Logger } from '@nestjs/common';
import { Listeners } from '../../common/listeners';
import type { FailureGroup } from './failure-group';

/** A message a handler gave up on, just recorded FAILED (or as poison). */
export interface RecordedFailure {
  handler: string;
  messageId: string;
  /** The last error, with a stack summary. */
  error: string;
  group: FailureGroup;
  poison: boolean;
}

/** Where other modules hear of each failure recorded (the alerts module watches for spikes) without compensation knowing them. */
@Injectable()
export class FailureListeners extends Listeners<RecordedFailure> {
  constructor() {
    super(new Logger(FailureListeners.name));
  }
}
