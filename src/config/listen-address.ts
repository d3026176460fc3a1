/** Split registry:2's http.addr (':5000', '127.0.0.1:5000', '[::1]:5000') into host and port. */
export function parseListenAddress(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr.trim());
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new Error(`invalid listen address ${JSON.stringify(addr)} (expected host:port or :port)`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
