/** A response head larger than this is not an S3 server's. */
export const MAX_HEAD = 64 * 1024;

/** What a GET's response head says about its body. */
export interface ResponseHead {
  status: number;
  length: number | undefined;
  chunked: boolean;
}

/** The status line and the headers that frame the body (Content-Length, Transfer-Encoding). */
export function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? NaN);
  let length: number | undefined;
  let chunked = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding' && value.toLowerCase() !== 'identity') chunked = true;
  }
  return { status, length, chunked };
}
