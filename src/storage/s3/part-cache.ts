import type { Part } from './multipart.js';

/**
 * The whole scheduled parts of live multipart uploads this process has listed, by upload id. Such
 * a part is never uploaded again (appends only add parts after it, and a short part is never
 * kept here), so the next state load asks ListParts only for the parts after them: a short page
 * per chunk instead of every part of a large upload each time. Forgotten when the upload completes
 * or is aborted; the least recently used go first beyond `capacity`.
 */
export class PartCache {
  private readonly entries = new Map<string, Part[]>();

  constructor(private readonly capacity = 64) {}

  get(uploadId: string): Part[] {
    const parts = this.entries.get(uploadId);
    if (!parts) return [];
    this.entries.delete(uploadId);
    this.entries.set(uploadId, parts);
    return parts;
  }

  set(uploadId: string, parts: Part[]): void {
    this.entries.delete(uploadId);
    this.entries.set(uploadId, [...parts]);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  delete(uploadId: string): void {
    this.entries.delete(uploadId);
  }
}
