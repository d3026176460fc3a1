/** Tar (POSIX ustar, with pax extended headers where ustar cannot say it) for streamed archives. */

const block = 512;
/** Largest size ustar's 11 octal digits hold. */
const maxOctalSize = 0o77777777777;

function field(header: Buffer, offset: number, length: number, text: string): void {
  header.write(text, offset, length, 'utf8');
}

function octal(header: Buffer, offset: number, length: number, value: number): void {
  field(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function ustar(name: string, size: number, type: '0' | 'x', mtime: number): Buffer {
  const header = Buffer.alloc(block);
  field(header, 0, 100, name);
  octal(header, 100, 8, 0o644);
  octal(header, 108, 8, 0);
  octal(header, 116, 8, 0);
  octal(header, 124, 12, size);
  octal(header, 136, 12, mtime);
  header.fill(' ', 148, 156);
  field(header, 156, 1, type);
  field(header, 257, 6, 'ustar\0');
  field(header, 263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

/** One pax record: `<length> <key>=<value>\n`, the length counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

export function padding(size: number): number {
  return (block - (size % block)) % block;
}

/**
 * The header blocks of one regular file: a ustar header, preceded by a pax header when the path is
 * longer than 100 bytes or not ASCII, or the size exceeds ustar's. Files are 0644, owned by 0:0.
 */
export function fileHeader(path: string, size: number, mtimeSeconds = 0): Buffer {
  const plain = Buffer.byteLength(path) <= 100 && /^[\x20-\x7e]*$/.test(path);
  if (plain && size <= maxOctalSize) return ustar(path, size, '0', mtimeSeconds);
  const records =
    (plain ? '' : paxRecord('path', path)) + (size > maxOctalSize ? paxRecord('size', String(size)) : '');
  const data = Buffer.from(records);
  const short = plain ? path : `pax/${path.replace(/[^\x20-\x7e]/g, '_').slice(-90)}`;
  return Buffer.concat([
    ustar('././@PaxHeader', data.length, 'x', mtimeSeconds),
    data,
    Buffer.alloc(padding(data.length)),
    ustar(short.slice(0, 100), Math.min(size, maxOctalSize), '0', mtimeSeconds),
  ]);
}

/** Two zero blocks end an archive. */
export const endOfArchive = Buffer.alloc(2 * block);
