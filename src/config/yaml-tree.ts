import { parseDocument, visit } from 'yaml';

/**
 * Parse YAML keeping every number as the text it was written as. registry:2 decodes by the type of
 * the field (a secret `0123` stays "0123", `version: 0.10` stays "0.10"); the schema does the same
 * from strings, so a value reads alike from the file and from a REGISTRY_* variable.
 * Throws the parser's error on invalid YAML.
 */
export function parseYamlTree(text: string): unknown {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw doc.errors[0]!;
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'number' && node.source !== undefined) node.value = node.source;
    },
  });
  return doc.toJS({ maxAliasCount: 100 });
}
