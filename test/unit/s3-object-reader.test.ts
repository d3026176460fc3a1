import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, request, type ServerResponse } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ObjectBody } from '../../src/storage/s3/object-body.js';
import { ObjectReadError } from '../../src/storage/s3/object-read-error.js';
import { ObjectReader } from '../../src/storage/s3/object-reader.js';
import { waitFor } from '../helpers/wait-for.js';

/** A plain-HTTP "S3" that answers every connection with `respond`. */
async function fakeS3(
  respond: (socket: Socket, request: string) => void,
): Promise<{ url: string; server: Server }> {
  const server = createServer((socket) => {
    let seen = '';
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      if (seen.includes('\r\n\r\n')) respond(socket, seen);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bucket/key?X-Amz-Signature=x`,
    server,
  };
}

async function collect(body: ObjectBody): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const reader = new ObjectReader({ tls: {} });
const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

describe('S3 object reader', () => {
  test('a body of any size, streamed in pieces, arrives whole; the request carries the signature and the range', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    let seen = '';
    const { url, server } = await fakeS3((socket, req) => {
      seen = req;
      socket.write(`HTTP/1.1 206 Partial Content\r\nContent-Length: ${data.length}\r\n\r\n`);
      // Odd-sized writes, some split across the head.
      for (let at = 0; at < data.length; at += 70_001) socket.write(data.subarray(at, at + 70_001));
      socket.end();
    });
    servers.push(server);
    const body = await reader.read(url, { start: 5, end: 5 + data.length - 1 });
    assert.ok(body);
    assert.ok((await collect(body)).equals(data));
    assert.match(seen, /^GET \/bucket\/key\?X-Amz-Signature=x HTTP\/1\.1\r\n/);
    assert.match(seen, /\r\nRange: bytes=5-3145749\r\n/);
  });

  test('relayed to an HTTP response: the client gets every byte', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 3);
    const { url, server } = await fakeS3((socket) => {
      socket.end(
        Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`), data]),
      );
    });
    servers.push(server);
    const front = createHttpServer(async (_req, res: ServerResponse) => {
      const body = await reader.read(url);
      res.writeHead(200, { 'Content-Length': data.length });
      body!.relayTo(res, () => {});
    });
    servers.push(front as unknown as Server);
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    const got = await new Promise<Buffer>((resolve, reject) => {
      request(`http://127.0.0.1:${(front.address() as AddressInfo).port}/`, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      })
        .on('error', reject)
        .end();
    });
    assert.ok(got.equals(data));
  });

  test('relaying a body whose S3 connection already failed cuts the client and reports it', async () => {
    const { url, server } = await fakeS3((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial');
      setTimeout(() => socket.destroy(), 20);
    });
    servers.push(server);
    const reported: Error[] = [];
    const front = createHttpServer(async (_req, res: ServerResponse) => {
      const body = await reader.read(url);
      await new Promise((r) => setTimeout(r, 200)); // S3 has hung up by now
      res.writeHead(200, { 'Content-Length': 1000 });
      body!.relayTo(res, (err) => reported.push(err));
    });
    servers.push(front as unknown as Server);
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    await assert.rejects(
      new Promise((resolve, reject) => {
        request(`http://127.0.0.1:${(front.address() as AddressInfo).port}/`, (res) => {
          res.on('data', () => {});
          res.on('end', resolve);
          res.on('error', reject);
        })
          .on('error', reject)
          .end();
      }),
    );
    assert.equal(reported.length, 1);
  });

  test('an S3 error answers with its status and code', async () => {
    const xml = '<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>gone</Message></Error>';
    const { url, server } = await fakeS3((socket) =>
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Length: ${xml.length}\r\n\r\n${xml}`),
    );
    servers.push(server);
    await assert.rejects(reader.read(url), (err: unknown) => {
      assert.ok(err instanceof ObjectReadError);
      assert.equal(err.status, 404);
      assert.equal(err.code, 'NoSuchKey');
      return true;
    });
  });

  test('a chunked response is left to the SDK (undefined)', async () => {
    const { url, server } = await fakeS3((socket) =>
      socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'),
    );
    servers.push(server);
    assert.equal(await reader.read(url), undefined);
  });

  test('a body cut short fails the stream; more bytes than announced fail too', async () => {
    const short = await fakeS3((socket) =>
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'),
    );
    const long = await fakeS3((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef'));
    servers.push(short.server, long.server);
    await assert.rejects(collect((await reader.read(short.url))!), /closed early/);
    await assert.rejects(collect((await reader.read(long.url))!), /more bytes than its Content-Length/);
  });

  test('a connection closed before any response, and a refused connection, are errors', async () => {
    const closed = await fakeS3((socket) => socket.end());
    servers.push(closed.server);
    await assert.rejects(reader.read(closed.url), /closed before a response/);
    const port = (closed.server.address() as AddressInfo).port;
    closed.server.close();
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(reader.read(`http://127.0.0.1:${port}/b/k`), /ECONNREFUSED/);
  });

  test('a consumer that stops reading destroys the connection to S3', async () => {
    let closedAtServer = false;
    const { url, server } = await fakeS3((socket) => {
      socket.on('close', () => (closedAtServer = true));
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`);
      const block = Buffer.alloc(1024 * 1024);
      const pump = () => {
        while (!socket.destroyed && socket.write(block));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    });
    servers.push(server);
    const body = (await reader.read(url))!;
    for await (const _ of body as AsyncIterable<Buffer>) break; // destroys the stream
    await waitFor(
      () => closedAtServer,
      (closed) => closed,
      { timeoutMs: 5000, intervalMs: 20 },
    );
    assert.ok(closedAtServer, 'the S3 connection is still open');
  });
});
