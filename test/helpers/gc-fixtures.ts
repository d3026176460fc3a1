import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { mediaTypes, type Distribution } from '../../src/oci/index.js';

export const digestOf = (data: Buffer | string) =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Push a blob into a repository; returns its digest and size. */
export async function pushBlob(oci: Distribution, repository: string, content: string) {
  const data = Buffer.from(content);
  await oci.uploads.monolithic(repository, digestOf(data), Readable.from([data]));
  return { digest: digestOf(data), size: data.length };
}

/** An image manifest over the given blobs (the first is the config). */
export function imageManifest(
  blobs: { digest: string; size: number }[],
  subject?: { digest: string; size: number },
): Buffer {
  const [config, ...layers] = blobs;
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })),
      ...(subject ? { subject: { mediaType: mediaTypes.ociManifest, ...subject } } : {}),
    }),
  );
}

export function indexManifest(children: { digest: string; size: number }[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociIndex,
      manifests: children.map((c) => ({ mediaType: mediaTypes.ociManifest, ...c })),
    }),
  );
}

/** Push blobs named by their contents and an image over them, under `reference` (a tag or its digest). */
export async function pushImage(
  oci: Distribution,
  repository: string,
  reference: string | null,
  contents: string[],
  subject?: { digest: string; size: number },
) {
  const blobs = [];
  for (const c of contents) blobs.push(await pushBlob(oci, repository, c));
  const body = imageManifest(blobs, subject);
  const digest = digestOf(body);
  await oci.manifests.put(repository, reference ?? digest, body, mediaTypes.ociManifest);
  return { digest, size: body.length, blobs };
}
