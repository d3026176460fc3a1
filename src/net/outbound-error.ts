/**
 * What went wrong with an outbound request, in words that are safe to show any caller: coarse
 * enough not to fingerprint the service at the other end (`socket hang up` and `Parse Error:
 * Expected HTTP/` both read "not an HTTP server"). The raw cause stays in `detail`, for the log.
 */
export type OutboundFailure =
  'denied' | 'unreachable' | 'timeout' | 'not-http' | 'tls' | 'too-large' | 'cancelled';

export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundFailure,
    message: string,
    /** The underlying error's text: for the server log only. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

/** Certificate problems worth naming: they are about the endpoint the caller chose, not a service behind it. */
const certificateReasons: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not name this host',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate is not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'the certificate is not trusted',
};

function isTlsFailure(code: string, message: string): boolean {
  return (
    code in certificateReasons ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('CERT_') ||
    code === 'EPROTO' ||
    /SSL|TLS/.test(message)
  );
}

/**
 * Turn whatever node:http threw into an OutboundError. `connected`: the TCP connection was
 * established, so a reset is the peer's answer (not HTTP), not a network failure.
 */
export function classifyOutboundError(err: unknown, connected: boolean): OutboundError {
  if (err instanceof OutboundError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  const message = e?.message ?? String(err);
  const detail = code && !message.includes(code) ? `${code}: ${message}` : message;
  if (code.startsWith('HPE_') || /^Parse Error/.test(message)) {
    return new OutboundError('not-http', 'not an HTTP server', detail);
  }
  if (isTlsFailure(code, message)) {
    const reason = certificateReasons[code];
    return new OutboundError('tls', reason ? `TLS failure: ${reason}` : 'TLS failure', detail);
  }
  if (connected && (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/.test(message))) {
    return new OutboundError('not-http', 'not an HTTP server', detail);
  }
  // Refused, filtered, unresolvable or anything else: one word, so a port scan learns nothing.
  return new OutboundError('unreachable', 'unreachable', detail);
}
