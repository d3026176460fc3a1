import { request as httpRequest } from 'node:http';
import { httpServer, type HttpServer } from './http-server.js';

/** One request the forwarder passed on: `HEAD /v2/r/manifests/v1`. */
export interface ForwardedRequest {
  method: string;
  path: string;
  /** The target's status, once it answered (502 when it could not be reached). */
  status?: number;
}

export interface CountingForwarder extends HttpServer {
  /** Every request seen, in order. */
  readonly seen: ForwardedRequest[];
  /** How many requests matched `method` and `path` (a string is a suffix of the path), and `status` if given. */
  count(method: string, path: string | RegExp, status?: number): number;
  /** While down, every connection is closed at once (an upstream that stopped). */
  down: boolean;
  /** Break every connection open now, mid-answer (an upstream that fails during a transfer). */
  cut(): void;
}

/**
 * A loopback HTTP forwarder in front of a server (`target`, e.g. a registry): it counts what passes
 * (what the server itself received) and can play dead. Bodies are streamed both ways; the Host
 * header is kept, so a token realm the target derives from it points back through the forwarder.
 */
export async function countingForwarder(target: string): Promise<CountingForwarder> {
  const to = new URL(target);
  const seen: ForwardedRequest[] = [];
  const state = { down: false };
  const server = await httpServer((req, res) => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const record: ForwardedRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?', 1)[0]!,
    };
    seen.push(record);
    const upstream = httpRequest(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        timeout: 60_000,
      },
      (answer) => {
        record.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('timeout', () => upstream.destroy());
    upstream.on('error', () => {
      record.status ??= 502;
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  const forwarder = Object.assign(server, {
    seen,
    count(method: string, path: string | RegExp, status?: number) {
      return seen.filter(
        (r) =>
          r.method === method &&
          (status === undefined || r.status === status) &&
          (typeof path === 'string' ? r.path.endsWith(path) : path.test(r.path)),
      ).length;
    },
    down: false,
    cut: () => server.server.closeAllConnections(),
  });
  // An accessor (Object.assign would copy a getter's value once).
  Object.defineProperty(forwarder, 'down', {
    get: () => state.down,
    set: (value: boolean) => (state.down = value),
  });
  return forwarder;
}
