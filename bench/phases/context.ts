import { blobSpec, type BlobSpec } from '../content.js';
import { ResourceMeter, type ResourceUse } from '../proctree.js';
import type { BenchServer } from '../servers.js';
import type { PhaseContext, Sizes } from './types.js';

/** Blob keys get stable numbers so seeds are the same for a key in every run. */
const keyNumbers = new Map<string, number>();

/** One server's round: fresh content, shared setup, and the resource meter around measured sections. */
export class RoundContext implements PhaseContext {
  private readonly shared = new Map<string, Promise<unknown>>();
  private readonly blobs = new Map<string, BlobSpec>();
  private lastUse: ResourceUse | undefined;

  constructor(
    readonly round: number,
    /** 0 or 1: which server, so that the two never get the same content either. */
    private readonly serverIndex: number,
    readonly server: BenchServer,
    readonly sizes: Sizes,
    readonly workDir: string,
    /** Processes of the storage backend (the S3 gateway) to meter with the server. */
    private readonly backendPids: number[] = [],
  ) {}

  /** What the last `measure` saw, once: the next phase starts with nothing. */
  takeUse(): ResourceUse | undefined {
    const use = this.lastUse;
    this.lastUse = undefined;
    return use;
  }

  blob(key: string, size: number): BlobSpec {
    let spec = this.blobs.get(key);
    if (!spec) {
      if (!keyNumbers.has(key)) keyNumbers.set(key, keyNumbers.size);
      const seed = ((this.round * 2 + this.serverIndex) << 12) + keyNumbers.get(key)!;
      spec = blobSpec(size, seed);
      this.blobs.set(key, spec);
    }
    if (spec.size !== size) throw new Error(`blob ${key}: asked for ${size} bytes, made with ${spec.size}`);
    return spec;
  }

  once<T>(key: string, setup: () => Promise<T>): Promise<T> {
    let p = this.shared.get(key) as Promise<T> | undefined;
    if (!p) {
      p = setup();
      this.shared.set(key, p);
      p.catch(() => this.shared.delete(key)); // a later phase may try again
    }
    return p;
  }

  async measure<T>(run: () => Promise<T>): Promise<{ result: T; use: ResourceUse }> {
    const meter = new ResourceMeter(this.server.pid, this.backendPids);
    let use: ResourceUse | undefined;
    try {
      const result = await run();
      use = meter.stop();
      return { result, use };
    } finally {
      this.lastUse = use ?? meter.stop();
    }
  }
}
