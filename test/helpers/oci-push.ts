import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { apiCall, type Answer, type Auth } from './api-client.js';
import { OCI_MANIFEST, seededBytes, sha256 } from './images.js';

const octets = { 'content-type': 'application/octet-stream' };

/** Push `data` as a blob of `repo` in one request (POST with `?digest=`); fails unless 201. Its digest. */
export async function pushBlob(base: string, repo: string, data: Buffer, auth?: Auth): Promise<string> {
  const digest = sha256(data);
  const answer = await apiCall(base, 'POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    auth,
    headers: octets,
    body: data,
  });
  assert.equal(answer.status, 201, answer.text);
  return digest;
}

/** Open an upload session of `repo` (POST); fails unless 202. Its Location, as a URL. */
async function startUpload(base: string, repo: string, auth?: Auth): Promise<URL> {
  const start = await apiCall(base, 'POST', `/v2/${repo}/blobs/uploads/`, { auth });
  assert.equal(start.status, 202, start.text);
  return new URL(start.headers.get('location')!, base);
}

/** Close an upload with its digest (PUT, the last bytes in it when given); fails unless 201. */
async function completeUpload(base: string, location: URL, digest: string, data?: Buffer, auth?: Auth) {
  location.searchParams.set('digest', digest);
  const put = await apiCall(base, 'PUT', location.href, {
    auth,
    ...(data ? { headers: octets, body: data } : {}),
  });
  assert.equal(put.status, 201, put.text);
}

/** A blob pushed the way most clients do: POST, then PUT with the digest and the bytes. Its digest. */
export async function pushBlobInUpload(
  base: string,
  repo: string,
  data: Buffer,
  auth?: Auth,
): Promise<string> {
  const digest = sha256(data);
  await completeUpload(base, await startUpload(base, repo, auth), digest, data, auth);
  return digest;
}

/**
 * A large blob pushed in `chunks` chunks of 16 MiB of `seed`'s bytes (a PATCH each, then PUT with
 * the digest), never held whole.
 */
export async function pushChunkedBlob(
  base: string,
  repo: string,
  seed: string,
  chunks: number,
  auth?: Auth,
): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let location = await startUpload(base, repo, auth);
  let offset = 0;
  for (let i = 0; i < chunks; i++) {
    const chunk = seededBytes(`${seed}/${i}`, 16 << 20);
    hash.update(chunk);
    const res = await apiCall(base, 'PATCH', location.href, {
      auth,
      headers: { ...octets, 'content-range': `${offset}-${offset + chunk.length - 1}` },
      body: chunk,
    });
    assert.equal(res.status, 202, res.text);
    offset += chunk.length;
    location = new URL(res.headers.get('location')!, base);
  }
  const digest = `sha256:${hash.digest('hex')}`;
  await completeUpload(base, location, digest, undefined, auth);
  return { digest, size: offset };
}

/** PUT a manifest (by tag or digest) of media type `type`; the answer, whatever it is. */
export function putManifest(
  base: string,
  repo: string,
  reference: string,
  body: Buffer,
  opts: { type?: string; auth?: Auth } = {},
): Promise<Answer> {
  return apiCall(base, 'PUT', `/v2/${repo}/manifests/${reference}`, {
    auth: opts.auth,
    headers: { 'content-type': opts.type ?? OCI_MANIFEST },
    body,
  });
}

/** Push an image of `contents` (config first) to `repository:tag`; its blobs' digests and the manifest's. */
export async function pushImage(base: string, repository: string, tag: string, contents: Buffer[]) {
  const blobs = [];
  for (const data of contents)
    blobs.push({ digest: await pushBlob(base, repository, data), size: data.length });
  const [config, ...layers] = blobs;
  const body = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })),
    }),
  );
  const put = await putManifest(base, repository, tag, body);
  assert.equal(put.status, 201, put.text);
  return { blobs: blobs.map((b) => b.digest), manifest: sha256(body) };
}
