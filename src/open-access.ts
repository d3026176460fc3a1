import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { ArcaConfig } from './config/index.js';
import type { Database } from './db/index.js';
import { AccessControl, Htpasswd, type AccessSettings, type RegistryLookup } from './access/index.js';

/** With htpasswd: create a missing file with one generated user, as registry:2 does. */
function ensureHtpasswd(config: ArcaConfig, log: Logger): void {
  if (config.auth.kind !== 'htpasswd') return;
  const created = Htpasswd.ensure(config.auth.path);
  if (!created) return;
  // The only time this password is ever shown.
  process.stderr.write(
    `htpasswd file ${config.auth.path} was missing: created user "${created.user}" with password "${created.password}"\n`,
  );
  log.warn(
    { path: config.auth.path },
    'created htpasswd file with a generated password (printed once on stderr)',
  );
}

function accessSettings(config: ArcaConfig): AccessSettings {
  const { token, throttle } = config.access;
  return {
    auth: config.auth,
    keysDirectory: AccessControl.keysDirectoryIn(config.datadir),
    token: {
      issuer: token.issuer,
      service: token.service,
      // The public URL when configured, so challenges never take the realm from a Host header.
      realm:
        token.realm ?? (config.http.host ? `${config.http.host.replace(/\/+$/, '')}/auth/token` : undefined),
      expirationMs: token.expiration,
      refreshExpirationMs: token.refreshexpiration,
      algorithm: token.algorithm,
      rotationMs: token.rotation,
    },
    throttle: {
      ...(throttle.basedelay !== undefined ? { baseDelayMs: throttle.basedelay } : {}),
      ...(throttle.maxdelay !== undefined ? { maxDelayMs: throttle.maxdelay } : {}),
      ...(throttle.freefailures !== undefined ? { pairFreeFailures: throttle.freefailures } : {}),
    },
    audit: { retentionMs: config.access.audit.retention, pruneIntervalMs: config.access.audit.pruneinterval },
  };
}

/**
 * The access room of a server, as the configuration says: the htpasswd file (created when missing),
 * and on first start with Arca's accounts the first administrator (`ARCA_ADMIN_PASSWORD`, or a
 * generated password shown once on stderr).
 */
export async function openAccess(
  config: ArcaConfig,
  db: Kysely<Database>,
  registries: RegistryLookup,
  log: Logger,
): Promise<AccessControl> {
  ensureHtpasswd(config, log);
  const access = new AccessControl(db, accessSettings(config), log, registries);
  const admin = await access.bootstrap(process.env.ARCA_ADMIN_PASSWORD || undefined);
  if (admin.kind === 'password-ignored') {
    log.warn(admin.reason);
  } else if (admin.kind === 'created' && admin.generated) {
    // Shown once, like registry:2's generated htpasswd password; only its hash is stored.
    process.stderr.write(
      `first start: created user "${admin.user}" (Owner) with password "${admin.password}"\n`,
    );
    log.warn(
      { user: admin.user },
      'created the first administrator with a generated password (printed once on stderr)',
    );
  } else if (admin.kind === 'created') {
    log.info(
      { user: admin.user },
      'created the first administrator with the password from ARCA_ADMIN_PASSWORD',
    );
  }
  return access;
}
