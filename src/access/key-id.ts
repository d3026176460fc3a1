import { createHash, type KeyObject } from 'node:crypto';

const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32Alphabet[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The key id registry:2 and Docker's token servers use (libtrust): SHA-256 of the public key's DER
 * SubjectPublicKeyInfo, cut to 240 bits, base32, in twelve groups of four joined by ':'.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const encoded = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return encoded.match(/.{4}/g)!.join(':');
}
