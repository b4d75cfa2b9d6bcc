/** Points cannot be awarded yet; the transport retries, then hands the event to backstop's console. */
export class PointsException extends Error {
  readonly name = 'PointsException';

  static noRate(currency: string) {
    return new PointsException(`no points rate for ${currency}: set one in point_rates, then re-run the event`);
  }
}
