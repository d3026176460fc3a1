/** An S3 error response to a GET: its status and, when the body says it, the S3 error code. */
export class ObjectReadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    url: URL,
  ) {
    super(`S3 GET ${url.pathname}: ${status}${code ? ` ${code}` : ''}`);
  }
}
