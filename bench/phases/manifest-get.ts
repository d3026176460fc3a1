import { call, expectStatus } from '../client.js';
import { wrk } from '../wrk.js';
import { appImage, ociManifest } from './shared.js';
import { loadResult, type Phase } from './types.js';

/** Manifest GET by tag under load (wrk): `bench/app:latest`, after one checked GET with the client. */
export const manifestGet: Phase = {
  id: 'manifest-get',
  title: () => 'manifest GET by tag',
  async run(ctx) {
    const image = await appImage(ctx);
    const path = '/v2/bench/app/manifests/latest';
    const headers = { Accept: ociManifest };
    const probe = expectStatus(await call(ctx.server.url, 'GET', path, { headers, hash: true }), 200, 'GET');
    if (probe.digest !== image.digest)
      throw new Error(`GET by tag: body ${probe.digest}, expected ${image.digest}`);
    const { result } = await ctx.measure(() =>
      wrk(
        ctx.server.url,
        { method: 'GET', path, headers },
        ctx.sizes.loadSeconds,
        ctx.sizes.connections,
        ctx.workDir,
      ),
    );
    return loadResult(result);
  },
};
