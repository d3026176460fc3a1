import { AppError } from '../errors/index.js';
import { isAssetName, isVersion, kindOfCollection, labelPattern, type AssetKind } from './kinds.js';

/** An asset version named by an address: a version or a label, with or without a registry and kind. */
export interface AssetAddress {
  registry?: string;
  kind?: AssetKind;
  name: string;
  version?: string;
  label?: string;
}

const registryPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/;

function invalid(text: string, why: string): AppError {
  return new AppError('ASSET_ADDRESS_INVALID', `address '${text.slice(0, 200)}': ${why}`);
}

/** `<name>:<version>` or `<name>@<label>`. */
function shortForm(text: string, rest: string): AssetAddress {
  const at = rest.lastIndexOf('@');
  const colon = rest.indexOf(':');
  let address: AssetAddress;
  if (at > 0 && (colon < 0 || colon > at)) {
    address = { name: rest.slice(0, at), label: rest.slice(at + 1) };
  } else if (colon > 0) {
    address = { name: rest.slice(0, colon), version: rest.slice(colon + 1) };
  } else {
    throw invalid(text, "expected '<name>:<version>' or '<name>@<label>'");
  }
  return checked(text, address);
}

function checked(text: string, address: AssetAddress): AssetAddress {
  if (address.registry !== undefined && !registryPattern.test(address.registry)) {
    throw invalid(text, 'not a registry name');
  }
  if (!isAssetName(address.name)) throw invalid(text, `'${address.name.slice(0, 140)}' is not an asset name`);
  if (address.version !== undefined && !isVersion(address.version)) throw invalid(text, 'not a version');
  if (address.label !== undefined && !labelPattern.test(address.label)) throw invalid(text, 'not a label');
  return address;
}

/**
 * Parse any address of an asset version: `arca://registries/<r>/<kinds>/<name>/versions/<v>` (or
 * `/labels/<l>`), the same under `azureml://` (where datasets are `data`), `azureml:<name>:<v>`,
 * `azureml:<name>@<label>`, and `<name>:<v>` / `<name>@<label>`. Never reads anything.
 */
export function parseAssetAddress(text: string): AssetAddress {
  if (typeof text !== 'string' || text.length === 0) throw invalid(String(text), 'empty');
  if (text.length > 1024) throw invalid(text, 'longer than 1024 characters');
  const url = /^(arca|azureml):\/\/(.*)$/.exec(text);
  if (url) {
    const parts = url[2]!.split('/');
    if (parts.length !== 6 || parts[0] !== 'registries') {
      throw invalid(text, `expected ${url[1]}://registries/<registry>/<kind>s/<name>/versions/<version>`);
    }
    const [, registry, collection, name, which, value] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const kind = kindOfCollection(collection);
    if (!kind || (collection === 'data' && url[1] === 'arca'))
      throw invalid(text, `unknown kind '${collection}'`);
    if (which !== 'versions' && which !== 'labels') throw invalid(text, "expected 'versions' or 'labels'");
    return checked(text, {
      registry,
      kind,
      name,
      ...(which === 'versions' ? { version: value } : { label: value }),
    });
  }
  if (text.startsWith('azureml:')) return shortForm(text, text.slice('azureml:'.length));
  return shortForm(text, text);
}
