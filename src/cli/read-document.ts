import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** A YAML or JSON document from a file, or from stdin when the file is `-`. */
export function readDocument(file: string): unknown {
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  try {
    return parseYaml(text);
  } catch (err) {
    throw new Error(`${file}: not YAML or JSON: ${(err as Error).message}`);
  }
}
