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

/**
 * Content-Types a manifest PUT may carry without naming a manifest media type: none, or plain JSON.
 * The body's own `mediaType` (or its shape) then says what it is, as registry:2 reads such a PUT.
 * Any other type must be one of `manifestMediaTypes`: a blob or a file sent to the manifest
 * endpoint by mistake is refused instead of being stored and tagged.
 */
export function isUntypedManifestContentType(type: string): boolean {
  return type === '' || type === 'application/json';
}
