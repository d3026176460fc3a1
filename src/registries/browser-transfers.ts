import { randomUUID } from 'node:crypto';
import { AppError } from '../errors/index.js';
import { assertDigest, assertRepositoryName, blobPath, newHash, type OciRegistry } from '../oci/index.js';
import { StorageNotFound, type StorageDriver } from '../storage/index.js';
import type { Registries } from './directory.js';

/** How long a browser has to send the bytes once it has the URL. */
const uploadUrlSeconds = 15 * 60;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function stagingPath(id: string): string {
  return `browser-uploads/${id}`;
}

/**
 * Browser uploads straight to a registry's bucket: Arca hands out a presigned PUT to a staging
 * object, the browser sends the bytes there (the bucket's CORS rules let it), and completing the
 * upload verifies the digest by reading the object once, copies it to its content address inside
 * the bucket and links it into a repository. Downloads need nothing new: a blob GET answers 307 to a
 * presigned URL of the same bucket.
 */
export class BrowserTransfers {
  constructor(
    private readonly registries: Registries,
    private readonly oci: OciRegistry,
  ) {}

  private target(registryKey: string, repository: string): { name: string; driver: StorageDriver } {
    const name = assertRepositoryName(`${registryKey}/${repository}`);
    if (this.registries.registryOf(name).registry !== registryKey) {
      throw new AppError('REGISTRY_INVALID', `repository ${name} is not in registry ${registryKey}`);
    }
    const { driver } = this.registries.storeFor(name);
    if (!driver.presignPut) {
      throw new AppError(
        'UNSUPPORTED',
        `registry ${registryKey} keeps its content where browsers cannot upload directly`,
      );
    }
    return { name, driver };
  }

  async start(registryKey: string, repository: string) {
    const { driver } = this.target(registryKey, repository);
    const id = randomUUID();
    const url = await driver.presignPut!(stagingPath(id), uploadUrlSeconds);
    return {
      id,
      method: 'PUT',
      url,
      expires_at: new Date(Date.now() + uploadUrlSeconds * 1000).toISOString(),
    };
  }

  async complete(registryKey: string, id: string, repository: string, digest: string) {
    if (!uuidPattern.test(id)) throw new AppError('BLOB_UPLOAD_UNKNOWN', undefined, { uuid: id });
    const parsed = assertDigest(digest);
    const { name, driver } = this.target(registryKey, repository);
    const staging = stagingPath(id);
    const hash = newHash(parsed.algorithm);
    let size = 0;
    try {
      for await (const chunk of await driver.read(staging)) {
        hash.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
    } catch (err) {
      if (err instanceof StorageNotFound) {
        throw new AppError(
          'BLOB_UPLOAD_UNKNOWN',
          'nothing was uploaded to this URL (or it was completed already)',
          {
            uuid: id,
          },
        );
      }
      throw err;
    }
    const actual = `${parsed.algorithm}:${hash.digest('hex')}`;
    if (actual !== digest) {
      await driver.delete(staging);
      throw new AppError('DIGEST_INVALID', 'provided digest did not match uploaded content', {
        digest,
        actual,
      });
    }
    const existing = await driver.stat(blobPath(digest));
    if (existing?.size !== size) {
      if (driver.copy) await driver.copy(staging, blobPath(digest));
      else await driver.put(blobPath(digest), await driver.read(staging));
    }
    await driver.delete(staging);
    await this.oci.blobs.register(name, digest, size);
    return { repository: name, digest, size, location: `/v2/${name}/blobs/${digest}` };
  }
}
