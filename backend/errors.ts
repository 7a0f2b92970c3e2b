// Domain errors: a request the backend refuses, with the reason in words for the caller. Domain code
// throws them; backend/trpc.ts turns each kind into its tRPC error code (the one place that knows tRPC's
// codes), and the CLI prints the message.
export type DomainErrorKind =
  /** A record, batch, device or model version the request names does not exist. */
  | 'not-found'
  /** The request contradicts itself or the stored data (a label for a release its batch did not pick). */
  | 'invalid'
  /** The request is fine but cannot be served yet (nothing to choose a batch from). */
  | 'precondition'
  /** A wrong, used or expired pairing code. */
  | 'unauthorized'
  /** Too many wrong pairing codes: try again later. */
  | 'rate-limited';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
