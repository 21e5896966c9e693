/** gRPC status codes, which ttrpc carries in google.rpc.Status and containerd maps to its errdefs. */
export const Code = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type StatusCode = (typeof Code)[keyof typeof Code];

/** An error carried to the peer as a status: its code and its text. */
export class TtrpcError extends Error {
  override name = 'TtrpcError';
  constructor(
    readonly code: StatusCode,
    message: string,
  ) {
    super(message);
  }
}
