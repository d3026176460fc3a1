import { AppError } from '../errors/index.js';

/**
 * The non-empty lines of an NDJSON body, in order, each parsed: read as the bytes come, one line
 * held at a time, never the whole body. A line longer than `maxLineBytes` or one that is not a JSON
 * object is a 400 naming its number.
 */
export async function* ndjsonLines(
  body: AsyncIterable<Buffer | string>,
  maxLineBytes: number,
): AsyncGenerator<{ line: number; value: Record<string, unknown> }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  const parse = (bytes: Buffer) => {
    line++;
    const text = bytes.toString('utf8').trim();
    if (text === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text, (key, v: unknown) => {
        if (key === '__proto__') throw new Error('the key "__proto__" is not allowed');
        return v;
      });
    } catch (err) {
      throw new AppError(
        'REQUEST_INVALID',
        `Invalid JSON in line ${line}: ${(err as Error).message.slice(0, 200)}`,
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new AppError('REQUEST_INVALID', `Invalid line ${line}: expected a JSON object`);
    return { line, value: value as Record<string, unknown> };
  };
  const tooLong = () =>
    new AppError(
      'PAYLOAD_TOO_LARGE',
      `line ${line + 1} is longer than ${maxLineBytes} bytes: upload the file through LFS`,
    );
  for await (const raw of body) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10)) {
      if (pendingBytes + nl > maxLineBytes) throw tooLong();
      pending.push(chunk.subarray(0, nl));
      const parsed = parse(Buffer.concat(pending));
      pending = [];
      pendingBytes = 0;
      if (parsed) yield parsed;
      chunk = chunk.subarray(nl + 1);
    }
    if (chunk.length > 0) {
      pendingBytes += chunk.length;
      if (pendingBytes > maxLineBytes) throw tooLong();
      pending.push(chunk);
    }
  }
  if (pendingBytes > 0) {
    const parsed = parse(Buffer.concat(pending));
    if (parsed) yield parsed;
  }
}
