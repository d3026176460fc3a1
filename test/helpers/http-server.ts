import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

export interface HttpServer {
  /** `http://127.0.0.1:<port>`, or `https://…` with `tls`. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stop listening and end the connections still open. */
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 (a free port) answering with `handler`; over TLS when given a key and certificate. */
export async function httpServer(
  handler: RequestListener,
  opts: { tls?: { key: Buffer; cert: Buffer } } = {},
): Promise<HttpServer> {
  const server: Server = opts.tls ? createHttpsServer(opts.tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
