/** One challenge of a `WWW-Authenticate` header: its scheme (lowercased) and parameters. */
export interface Challenge {
  scheme: string;
  /** Parameter names lowercased; quoted-string values unescaped (RFC 9110 §5.6.4). */
  params: Record<string, string>;
}

const token = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

/**
 * The first challenge of a `WWW-Authenticate` header (`Bearer realm="…",service="…",scope="…"`).
 * Quoted values may hold commas, `=` and escaped quotes; a value that never closes ends the header.
 */
export function parseChallenge(header: string): Challenge {
  let at = 0;
  const skipSpace = () => {
    while (at < header.length && (header[at] === ' ' || header[at] === '\t')) at++;
  };
  const readToken = (): string => {
    token.lastIndex = at;
    const m = token.exec(header);
    if (!m) return '';
    at += m[0].length;
    return m[0];
  };
  skipSpace();
  const scheme = readToken().toLowerCase();
  const params: Record<string, string> = {};
  for (;;) {
    skipSpace();
    while (header[at] === ',') {
      at++;
      skipSpace();
    }
    const name = readToken();
    if (!name) break;
    skipSpace();
    if (header[at] !== '=') break;
    at++;
    skipSpace();
    let value = '';
    if (header[at] === '"') {
      at++;
      while (at < header.length && header[at] !== '"') {
        if (header[at] === '\\' && at + 1 < header.length) at++;
        value += header[at];
        at++;
      }
      at++;
    } else {
      value = readToken();
    }
    params[name.toLowerCase()] = value;
  }
  return { scheme, params };
}
