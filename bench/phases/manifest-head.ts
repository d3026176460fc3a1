import { closedLoop } from '../load.js';
import { appImage, ociManifest } from './shared.js';
import { loadResult, type Phase } from './types.js';

/**
 * Manifest HEAD by digest under load, with the bench's own Node client (wrk cannot do HEAD):
 * `connections` workers on an http.Agent {keepAlive, maxSockets: connections}, back to back for
 * `loadSeconds`; each reply must be 200 with the right Docker-Content-Digest.
 */
export const manifestHead: Phase = {
  id: 'manifest-head',
  title: () => 'manifest HEAD by digest',
  async run(ctx) {
    const image = await appImage(ctx);
    const { result } = await ctx.measure(() =>
      closedLoop(
        ctx.server.url,
        {
          method: 'HEAD',
          path: `/v2/bench/app/manifests/${image.digest}`,
          headers: { Accept: ociManifest },
          check: (r) =>
            r.status !== 200
              ? `status ${r.status}`
              : r.headers['docker-content-digest'] !== image.digest
                ? 'wrong Docker-Content-Digest'
                : undefined,
        },
        ctx.sizes.loadSeconds,
        ctx.sizes.connections,
      ),
    );
    return loadResult(result);
  },
};
