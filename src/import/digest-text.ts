import { parseDigest } from '../oci/index.js';

/** The digest a registry:2 link file holds (`sha256:<hex>`, no newline, but tolerate one). */
export function parseDigestText(content: Buffer): string {
  const text = content.toString('utf8').trim();
  if (!parseDigest(text)) throw new Error(`link holds ${JSON.stringify(text.slice(0, 80))}, not a digest`);
  return text;
}
