/**
 * Why the upstream could not give what was asked, in words safe for any client: the upstream's
 * address and the credential's name, never its secret.
 */
export type UpstreamFailure = 'not-found' | 'refused' | 'unavailable' | 'throttled' | 'invalid';

export class UpstreamError extends Error {
  constructor(
    readonly kind: UpstreamFailure,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}
