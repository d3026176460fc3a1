import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header carrying a webhook body's signature: `sha256=<hex HMAC-SHA256 of the body>`. */
export const signatureHeader = 'X-Arca-Signature-256';

export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `signature` (the header's value) signs `body` with `secret`; compared in constant time. */
export function verifySignature(secret: string, body: string | Buffer, signature: string): boolean {
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
