/**
 * An HTTP quoted-string (RFC 9110 §5.6.4) for a challenge parameter: backslashes and quotes are
 * escaped and control characters (CR, LF, …) dropped, so a value taken from a request (the Host
 * header in a token realm) stays one parameter and cannot add others or split the header.
 */
export function quotedString(value: string): string {
  return `"${value.replace(/[\u0000-\u001f\u007f]/g, '').replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
