import { createServer, type Server, type Socket } from 'node:net';

export interface TcpServer {
  url: string;
  port: number;
  /** Connections still open. */
  open(): number;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that accepts and does `behave` with each connection (by default nothing:
 * it never answers). What the client sends is read and dropped, so its FIN is seen and a close counted.
 */
export async function tcpServer(behave: (socket: Socket) => void = () => undefined): Promise<TcpServer> {
  const open = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    socket.resume();
    behave(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    open: () => open.size,
    accepted: () => accepted,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
