import { pushBuffer, pushMonolithic, putManifest } from '../client.js';
import { sha256, type BlobSpec } from '../content.js';
import type { PhaseContext } from './types.js';

export const ociManifest = 'application/vnd.oci.image.manifest.v1+json';

/** The large blob in `bench/mono`: pushed by the large monolithic push, or here (untimed) when that did not run. */
export function largeBlob(ctx: PhaseContext): Promise<BlobSpec> {
  return ctx.once('large blob in bench/mono', async () => {
    const blob = ctx.blob('mono-large', ctx.sizes.large);
    await pushMonolithic(ctx.server.url, 'bench/mono', blob);
    return blob;
  });
}

export interface Image {
  manifest: Buffer;
  digest: string;
  /** The manifest object, to derive variants from. */
  json: Record<string, unknown>;
}

/** A small image (config and a 4 KiB layer), its blobs pushed to `repo`; the manifest is not. */
export function imageIn(ctx: PhaseContext, repo: string): Promise<Image> {
  return ctx.once(`image blobs in ${repo}`, async () => {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', round: ctx.round }));
    const configDigest = sha256(config);
    const layer = ctx.blob('layer', 4096);
    await pushBuffer(ctx.server.url, repo, config, configDigest);
    await pushMonolithic(ctx.server.url, repo, layer);
    const json = {
      schemaVersion: 2,
      mediaType: ociManifest,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.size },
      ],
    };
    const manifest = Buffer.from(JSON.stringify(json));
    return { manifest, digest: sha256(manifest), json };
  });
}

/** `bench/app:latest`, the manifest that GET and HEAD load read. */
export function appImage(ctx: PhaseContext): Promise<Image> {
  return ctx.once('bench/app:latest', async () => {
    const image = await imageIn(ctx, 'bench/app');
    const digest = await putManifest(ctx.server.url, 'bench/app', 'latest', image.manifest, ociManifest);
    if (digest !== image.digest) throw new Error(`manifest PUT: digest ${digest}, expected ${image.digest}`);
    return image;
  });
}
