import { request as httpsRequest, type Agent } from 'node:https';
import { Readable } from 'node:stream';

/** A `fetch` for the Hub clients in the test process, and what it sent. */
export interface HubFetch {
  fetch: typeof fetch;
  /** Request body bytes sent with PUT (LFS objects and parts), to Arca and to the bucket alike. */
  putBytes(): number;
}

/**
 * `fetch` as the Hub clients use it, for a test process that cannot trust the Ceph gateway's
 * generated CA globally: requests to `bucketOrigin` go through node:https with `agent`; redirects
 * are followed here (an absolute Location to the bucket included, without the Authorization header
 * when the origin changes, as browsers and the clients do). Counts PUT body bytes.
 */
export function hubFetch(bucket?: { origin: string; agent: Agent }): HubFetch {
  let put = 0;
  const viaAgent = (url: URL, init: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const headers = Object.fromEntries(new Headers(init.headers));
      const body = init.body as Blob | ArrayBuffer | Uint8Array | string | null | undefined;
      if (body instanceof Blob) headers['content-length'] = String(body.size);
      const req = httpsRequest(
        url,
        { method: init.method ?? 'GET', agent: bucket!.agent, headers },
        (res) => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          const status = res.statusCode ?? 500;
          const empty = status === 204 || status === 304 || init.method === 'HEAD';
          if (empty) res.resume();
          resolve(
            new Response(empty ? null : (Readable.toWeb(res) as ReadableStream), { status, headers: h }),
          );
        },
      );
      req.on('error', reject);
      if (body === null || body === undefined) req.end();
      else if (body instanceof Blob) Readable.fromWeb(body.stream() as never).pipe(req);
      else req.end(typeof body === 'string' ? body : Buffer.from(body as ArrayBuffer));
    });
  const wrapped = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if ((init.method ?? 'GET') === 'PUT' && init.body instanceof Blob) put += init.body.size;
    if (bucket && url.origin === bucket.origin) return viaAgent(url, init);
    const res = await fetch(url, { ...init, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, url);
      const headers = new Headers(init.headers);
      if (next.origin !== url.origin) headers.delete('authorization');
      await res.body?.cancel();
      return wrapped(next.href, { ...init, headers });
    }
    return res;
  };
  return { fetch: wrapped as typeof fetch, putBytes: () => put };
}
