import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './tmp.js';

/**
 * An isolated home for the containers/image clients (skopeo, podman), shared by every call
 * in this test process:
 *
 * - `HOME` points here, so no `~/.config/containers/auth.json` or `~/.docker/config.json`
 *   of the machine's user is read, and `REGISTRY_AUTH_FILE` names a file here, so a
 *   `login` without `--authfile` can never write the system auth file.
 * - The blob-info cache (which makes skopeo/podman try cross-repository mounts for blobs
 *   they have seen elsewhere on the same registry) lives here instead of the shared
 *   /var/lib/containers/cache of root. containers/image only moves it when it believes it
 *   runs rootless: `_CONTAINERS_ROOTLESS_UID` (nonzero) + `XDG_DATA_HOME` does that without
 *   changing anything else we use. So within one test process the cache only knows blobs
 *   this process pushed, and no stale entries from earlier runs on a reused port.
 * - registries.conf is an empty file (no mirrors, no short-name aliases of the machine),
 *   policy.json accepts anything, registries.d is empty (no signature lookaside config).
 */
export interface ClientsHome {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly policyPath: string;
  readonly registriesD: string;
}

let home: ClientsHome | undefined;

export function clientsHome(): ClientsHome {
  if (home) return home;
  const dir = makeTempDir('oci-clients-').path;
  const registriesConf = join(dir, 'registries.conf');
  const policyPath = join(dir, 'policy.json');
  const registriesD = join(dir, 'registries.d');
  const tmp = join(dir, 'tmp');
  for (const d of [registriesD, tmp, join(dir, 'home'), join(dir, 'data')]) mkdirSync(d, { recursive: true });
  writeFileSync(registriesConf, '# empty: no mirrors, no aliases, no unqualified-search registries\n');
  // podman refuses a REGISTRY_AUTH_FILE that does not exist.
  writeFileSync(join(dir, 'default-auth.json'), '{"auths":{}}\n');
  writeFileSync(policyPath, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  home = {
    dir,
    policyPath,
    registriesD,
    env: {
      HOME: join(dir, 'home'),
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_CONFIG_HOME: join(dir, 'home', '.config'),
      _CONTAINERS_ROOTLESS_UID: '1000',
      REGISTRY_AUTH_FILE: join(dir, 'default-auth.json'),
      CONTAINERS_REGISTRIES_CONF: registriesConf,
      TMPDIR: tmp,
    },
  };
  return home;
}
