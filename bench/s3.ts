import { bucketName, startCephRgw, type CephRgw } from '../test/helpers/ceph-rgw.js';
import type { S3Target, ServerName } from './servers.js';

/**
 * The S3 backend of `--storage s3`: one Ceph RGW (TLS on loopback, data in RAM) for the whole run,
 * started by the tests' harness; each server gets a fresh bucket every round, removed after it so
 * the gateway's memory is given back.
 */
export class BenchGateway {
  private constructor(private readonly gw: CephRgw) {}

  static async start(memoryBytes: number): Promise<BenchGateway> {
    return new BenchGateway(await startCephRgw({ memstoreBytes: memoryBytes }));
  }

  get endpoint(): string {
    return this.gw.endpoint;
  }

  get startMs(): number {
    return this.gw.startMs;
  }

  /** The gateway's daemons (radosgw, OSD, monitor), to meter the backend's CPU and memory. */
  get pids(): number[] {
    return this.gw.pids();
  }

  /** A new bucket for one server's round, as registry:2's `storage.s3` keys. */
  async bucket(server: ServerName, round: number): Promise<{ name: string; target: S3Target }> {
    const name = bucketName(`bench-${server}-r${round}`);
    await this.gw.createBucket(name);
    return { name, target: { params: this.gw.storageConfig(name), caFile: this.gw.caFile } };
  }

  remove(bucket: string): Promise<void> {
    return this.gw.deleteBucket(bucket);
  }

  stop(): Promise<void> {
    return this.gw.stop();
  }
}
