import type { AssetKey } from '../kinds.js';

/** The columns naming one asset in every table of the room: `where((eb) => eb.and(assetColumns(key)))`. */
export function assetColumns(key: AssetKey): { registry: string; kind: string; name: string } {
  return { registry: key.registry, kind: key.kind, name: key.name };
}
