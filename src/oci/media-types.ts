export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

export type ManifestKind = 'image' | 'index';

const kinds: Record<string, ManifestKind> = {
  [mediaTypes.ociManifest]: 'image',
  [mediaTypes.dockerManifest]: 'image',
  [mediaTypes.ociIndex]: 'index',
  [mediaTypes.dockerManifestList]: 'index',
};

export function manifestKind(mediaType: string): ManifestKind | undefined {
  return kinds[mediaType];
}

export const manifestMediaTypes: readonly string[] = Object.keys(kinds);
