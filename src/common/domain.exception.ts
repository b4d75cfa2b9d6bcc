/** What went wrong, in the domain's words; the HTTP edge maps the kind to a status. */
export type DomainErrorKind = 'not-found' | 'conflict' | 'unprocessable' | 'invalid' | 'unauthorized' | 'unavailable';

export abstract class DomainException extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
