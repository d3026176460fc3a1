import type { RegistryLocation } from '../access/index.js';
import { AppError } from '../errors/index.js';
import { assertRepositoryName, type Completion, type Distribution, type UploadPlan } from '../oci/index.js';
import type { RegistryDirectory } from './registry-directory.js';
import { registryLocator } from './registry-locator.js';

/**
 * Uploads straight to a registry's bucket (a browser's, the CLI's, the Hub API's). What is about
 * registries stays here: which registry a repository is in, and whether its location can take them.
 * The upload itself, from the presigned URLs (one PUT, or the parts of a multipart upload) to the
 * verified and linked blob, is the OCI door's `presignedUploads`, committed by the same step as a
 * /v2 push. Downloads need nothing new: a blob GET answers 307 to a presigned URL of the same bucket.
 */
export class BrowserTransfers {
  constructor(
    private readonly registries: RegistryDirectory,
    private readonly distribution: Distribution,
  ) {}

  /** Where a registry is (any registry: a defined one, a static one, or the default), to decide access. */
  locate(registry: string): RegistryLocation {
    const where = registryLocator(this.registries).locate(registry);
    if (!where) throw new AppError('REGISTRY_UNKNOWN', `no registry named '${registry}'`);
    return where;
  }

  /** The repository `registryKey/repository`, checked to be in that registry and to take presigned uploads. */
  private target(registryKey: string, repository: string): string {
    const name = assertRepositoryName(`${registryKey}/${repository}`);
    if (this.registries.registryOf(name).registry !== registryKey) {
      throw new AppError('REGISTRY_INVALID', `repository ${name} is not in registry ${registryKey}`);
    }
    if (!this.distribution.presignedUploads.available(name)) {
      throw new AppError(
        'UNSUPPORTED',
        `registry ${registryKey} keeps its content where clients cannot upload directly`,
      );
    }
    return name;
  }

  start(registryKey: string, repository: string, plan?: UploadPlan) {
    return this.distribution.presignedUploads.start(this.target(registryKey, repository), plan);
  }

  parts(registryKey: string, id: string, repository: string, numbers: number[]) {
    return this.distribution.presignedUploads.parts(this.target(registryKey, repository), id, numbers);
  }

  abort(registryKey: string, id: string, repository: string) {
    return this.distribution.presignedUploads.abort(this.target(registryKey, repository), id);
  }

  async complete(registryKey: string, id: string, repository: string, digest: string, done?: Completion) {
    const name = this.target(registryKey, repository);
    const size = await this.distribution.presignedUploads.complete(name, id, digest, done);
    return { repository: name, digest, size, location: `/v2/${name}/blobs/${digest}` };
  }
}
