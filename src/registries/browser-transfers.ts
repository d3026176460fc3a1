import { AppError } from '../errors/index.js';
import { assertRepositoryName, type Distribution } from '../oci/index.js';
import type { RegistryDirectory } from './registry-directory.js';

/**
 * Browser uploads straight to a registry's bucket. What is about registries stays here: which
 * registry a repository is in, and whether its location can take them (the bucket's CORS rules let
 * the browser's PUT through). The upload itself, from the presigned URL to the verified and linked
 * blob, is the OCI door's `presignedUploads`, committed by the same step as a /v2 push. Downloads
 * need nothing new: a blob GET answers 307 to a presigned URL of the same bucket.
 */
export class BrowserTransfers {
  constructor(
    private readonly registries: RegistryDirectory,
    private readonly distribution: Distribution,
  ) {}

  /** The repository `registryKey/repository`, checked to be in that registry and to take presigned uploads. */
  private target(registryKey: string, repository: string): string {
    const name = assertRepositoryName(`${registryKey}/${repository}`);
    if (this.registries.registryOf(name).registry !== registryKey) {
      throw new AppError('REGISTRY_INVALID', `repository ${name} is not in registry ${registryKey}`);
    }
    if (!this.distribution.presignedUploads.available(name)) {
      throw new AppError(
        'UNSUPPORTED',
        `registry ${registryKey} keeps its content where browsers cannot upload directly`,
      );
    }
    return name;
  }

  start(registryKey: string, repository: string) {
    return this.distribution.presignedUploads.start(this.target(registryKey, repository));
  }

  async complete(registryKey: string, id: string, repository: string, digest: string) {
    const name = this.target(registryKey, repository);
    const size = await this.distribution.presignedUploads.complete(name, id, digest);
    return { repository: name, digest, size, location: `/v2/${name}/blobs/${digest}` };
  }
}
