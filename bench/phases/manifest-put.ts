import { call } from '../client.js';
import { sha256 } from '../content.js';
import { wrk } from '../wrk.js';
import { imageIn, ociManifest } from './shared.js';
import { loadResult, type Phase } from './types.js';

/**
 * Manifest PUT under load (wrk, `connections` keep-alive connections, `loadSeconds`): every request
 * puts a new manifest (a unique annotation over the same config and layer) under a new tag of
 * `bench/put`, so neither server can answer from what it already has.
 */
export const manifestPut: Phase = {
  id: 'manifest-put',
  title: () => 'manifest PUT (new manifest, new tag)',
  async run(ctx) {
    const image = await imageIn(ctx, 'bench/put');
    const mark = '@@ID@@';
    const [bodyPrefix, bodySuffix] = JSON.stringify({
      ...image.json,
      annotations: { 'bench.id': mark },
    }).split(mark) as [string, string];
    const { result } = await ctx.measure(() =>
      wrk(
        ctx.server.url,
        {
          method: 'PUT',
          headers: { 'Content-Type': ociManifest },
          unique: { pathPrefix: '/v2/bench/put/manifests/', bodyPrefix, bodySuffix },
        },
        ctx.sizes.loadSeconds,
        ctx.sizes.connections,
        ctx.workDir,
      ),
    );
    const outcome = loadResult(result);
    // wrk sees only status codes: read one of the new manifests back.
    const problem = await readBack(ctx.server.url, (id) => `${bodyPrefix}${id}${bodySuffix}`);
    if (problem) outcome.errors?.push(problem);
    return outcome;
  },
};

/** A tag the load made, read back: undefined if its manifest is the one that was put. */
async function readBack(base: string, bodyFor: (id: string) => string): Promise<string | undefined> {
  const list = await call(base, 'GET', '/v2/bench/put/tags/list?n=10', { collect: true });
  if (list.status !== 200) return `tag list after the PUT load: status ${list.status}`;
  const tags = (JSON.parse(list.body?.toString('utf8') ?? '{}') as { tags?: string[] }).tags ?? [];
  const id = tags.find((t) => t.startsWith('w'));
  if (!id) return 'no tag from the PUT load is listed';
  const r = await call(base, 'GET', `/v2/bench/put/manifests/${id}`, {
    headers: { Accept: ociManifest },
    hash: true,
  });
  if (r.status !== 200) return `GET ${id} after the PUT load: status ${r.status}`;
  const expected = sha256(Buffer.from(bodyFor(id)));
  return r.digest === expected ? undefined : `manifest ${id} read back as ${r.digest}, expected ${expected}`;
}
