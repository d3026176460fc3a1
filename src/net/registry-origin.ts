/**
 * A registry reference as users write it (`nvcr.io`, `127.0.0.1:5000`, `http://10.0.0.5:5000`,
 * `https://host/prefix`) as the base URL its `/v2/` hangs off. A bare host means https, as docker
 * means it; a plain-HTTP registry is written with `http://`. Health checks, credential tests and
 * the choice of which credential a request may carry all read references through this one function.
 */
export function registryBase(reference: string): URL {
  const text = reference.trim();
  if (text === '') throw new Error('no registry address');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme.endsWith('/') ? withScheme : `${withScheme}/`);
  } catch {
    throw new Error(`${JSON.stringify(reference.slice(0, 200))} is not a registry address`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`${JSON.stringify(reference.slice(0, 200))} is not an http:// or https:// address`);
  }
  return url;
}

/** Same scheme, host and port (`https://h` and `https://h:443` are the same origin). */
export function sameOrigin(a: URL, b: URL): boolean {
  return a.origin === b.origin;
}

/**
 * Whether a credential stored for `storedFor` (its `registry=`) may be presented to `target`: only
 * at the exact scheme, host and port it was stored for, so an http URL never receives a credential
 * stored for https, and a look-alike host or port never receives it at all.
 */
export function mayPresent(storedFor: string, target: URL): boolean {
  try {
    return sameOrigin(registryBase(storedFor), target);
  } catch {
    return false;
  }
}
