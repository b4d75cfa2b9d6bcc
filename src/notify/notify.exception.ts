/** A delivery that did not reach the merchant; the compensation machinery schedules the next attempt. */
export class DeliveryFailedError extends Error {
  readonly name = 'DeliveryFailedError';
}
