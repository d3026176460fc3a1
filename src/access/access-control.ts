import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { AppError } from '../errors/index.js';
import { AuditLog } from './audit.js';
import { Authenticator } from './authenticator.js';
import { adminPasswordIgnored, createFirstAdmin, type FirstAdmin } from './bootstrap.js';
import { deleteEndedRefreshTokens } from './store/refresh-tokens.js';
import { IdentityDirectory } from './identity-directory.js';
import type { Grant } from './grants.js';
import { GrantsResolver } from './grants-resolver.js';
import { Htpasswd } from './htpasswd.js';
import type { RegistryLookup } from './registry-lookup.js';
import { RoleCatalog } from './role-catalog.js';
import { SigningKeys } from './signing-keys.js';
import type { Permission } from './permissions.js';
import type { Caller } from './principal.js';
import { repositoryAccess, type RepositoryVerdict } from './repository-access.js';
import { catalogAccess, type CatalogVerdict } from './catalog-access.js';
import type { RepositoryAction } from './grants.js';
import type { RegistryLocation } from './scope.js';
import { LoginThrottle, defaultThrottleLimits } from './throttle.js';
import type { AccessSettings, AuthSettings } from './access-settings.js';
import { grantedAccess } from './token-access.js';
import { parseScopes } from './token-scope.js';
import { ExternalTokenVerifier, TokenService, type TokenVerifier, type VerifiedToken } from './tokens.js';

/**
 * What a permission is asked for: a registry (in its namespace) for registry verbs, or a namespace
 * for namespaced ones (credentials).
 */
export type AccessTarget = RegistryLocation | { namespace: string };

/** A signed access token, and a refresh token when one was asked for. */
export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: Date;
  refreshToken?: string;
}

interface Logger {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * The access room, assembled: identities, roles, grants, credentials checks, tokens and the audit
 * log, for one server process.
 */
export class AccessControl {
  readonly registries: RegistryLookup;
  readonly directory: IdentityDirectory;
  readonly roles: RoleCatalog;
  readonly grants: GrantsResolver;
  readonly authenticator: Authenticator;
  readonly audit: AuditLog;
  /** Arca's token service: issues and verifies tokens (not with `auth: none` or an external token server). */
  readonly tokens?: TokenService;
  /** Verifies bearer tokens on requests: Arca's own or the external server's. */
  readonly verifier?: TokenVerifier;
  readonly htpasswd?: Htpasswd;
  readonly signingKeys?: SigningKeys;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    readonly settings: AccessSettings,
    private readonly log: Logger,
    /** Which registry a repository belongs to, which exist, which allow anonymous pulls. */
    registries: RegistryLookup,
  ) {
    const auth = settings.auth;
    this.registries = registries;
    if (auth.kind === 'htpasswd') this.htpasswd = new Htpasswd(auth.path);
    const changed = () => this.changed();
    this.directory = new IdentityDirectory(db, changed);
    this.roles = new RoleCatalog(
      db,
      this.registries,
      (name) => auth.kind === 'token' || (this.htpasswd?.has(name) ?? false),
      changed,
    );
    const everyone = (): Grant[] =>
      this.registries.anonymousPull().flatMap((registry) => [
        { permission: 'registries/read' as const, scope: { kind: 'registry' as const, registry } },
        { permission: 'registries/assets/read' as const, scope: { kind: 'registry' as const, registry } },
      ]);
    this.grants = new GrantsResolver(
      db,
      this.roles,
      everyone,
      auth.kind === 'htpasswd' ? { admins: auth.admins ?? [] } : undefined,
    );
    this.authenticator = new Authenticator(db, {
      htpasswd: this.htpasswd,
      throttle: new LoginThrottle({ ...defaultThrottleLimits, ...settings.throttle }),
      refreshTokenTtlMs: settings.token.refreshExpirationMs,
    });
    this.audit = new AuditLog(db, log);
    if (auth.kind === 'arca' || auth.kind === 'htpasswd') {
      this.signingKeys = new SigningKeys(settings.keysDirectory, {
        algorithm: settings.token.algorithm,
        rotationMs: settings.token.rotationMs,
        // A replaced key verifies until every token it signed has expired, and a while longer.
        retainMs: Math.max(2 * settings.token.expirationMs, 3_600_000),
      });
      this.tokens = new TokenService(this.signingKeys, {
        issuer: settings.token.issuer,
        service: settings.token.service,
        expirationMs: settings.token.expirationMs,
      });
      this.verifier = this.tokens;
    } else if (auth.kind === 'token') {
      this.verifier = new ExternalTokenVerifier(auth);
    }
  }

  /** The default keys directory inside a data directory. */
  static keysDirectoryIn(datadir: string): string {
    return join(datadir, 'keys');
  }

  get mode(): AuthSettings['kind'] {
    return this.settings.auth.kind;
  }

  /** First start with Arca's accounts: create `admin` (Owner); see createFirstAdmin. */
  async bootstrap(adminPassword: string | undefined): Promise<FirstAdmin> {
    if (this.mode !== 'arca' && this.mode !== 'token') {
      if (adminPassword === undefined) return { kind: 'exists' };
      return adminPasswordIgnored(`auth: ${this.mode} creates no first administrator`);
    }
    const outcome = await createFirstAdmin(this.db, adminPassword);
    if (outcome.kind === 'created') this.changed();
    return outcome;
  }

  /**
   * May `caller` (none: anonymous) use `permission` at `target` (none: granted at `/`, as a route's
   * declared permission needs)? The one place a route's RBAC question is answered; with `auth: none`
   * everyone may do everything.
   */
  async allows(caller: Caller | undefined, permission: Permission, target?: AccessTarget): Promise<boolean> {
    if (this.mode === 'none') return true;
    const grants = await this.grants.of(caller ?? { kind: 'anonymous' });
    if (target === undefined) return grants.allows(permission);
    if ('registry' in target) {
      // Repositories name registries in lowercase; grants match regardless of case.
      return grants.allows(permission, {
        registry: target.registry.toLowerCase(),
        namespace: target.namespace,
      });
    }
    return grants.allowsInNamespace(permission, target.namespace);
  }

  /**
   * As `allows`, but a refusal throws, naming the permission and where it was needed: 401
   * UNAUTHORIZED to an anonymous caller (signing in could help; the surface adds its challenge),
   * 403 DENIED to a signed-in one.
   */
  async authorize(caller: Caller | undefined, permission: Permission, target: AccessTarget): Promise<void> {
    if (await this.allows(caller, permission, target)) return;
    const where =
      'registry' in target ? `on registry ${target.registry}` : `in namespace ${target.namespace}`;
    if (caller === undefined || caller.kind === 'anonymous')
      throw new AppError('UNAUTHORIZED', `authentication required: ${permission} is required ${where}`);
    throw new AppError('DENIED', `${permission} is required ${where}`);
  }

  /**
   * May `caller`, with the bearer `token` its request carried (if any), do `action` on
   * `repository`? `token-lacks` when the token does not allow it but a new one could (see
   * `repositoryAccess`); with `auth: none`, yes.
   */
  async repositoryAccess(
    caller: Caller,
    token: VerifiedToken | undefined,
    action: RepositoryAction,
    repository: string,
  ): Promise<RepositoryVerdict> {
    if (this.mode === 'none') return 'yes';
    return repositoryAccess(this.grants, this.registries, caller, token, action, repository);
  }

  /** May a signed-in `caller` list repositories, and which may it see (see `catalogAccess`)? */
  async catalogAccess(caller: Caller, token: VerifiedToken | undefined): Promise<CatalogVerdict> {
    if (this.mode === 'none') return { verdict: 'yes' };
    return catalogAccess(this.grants, this.registries, caller, token);
  }

  /**
   * A token for `caller` carrying, of the requested Docker scopes (`repository:a/b:pull,push`, …),
   * exactly what its grants allow; with `refresh`, a refresh token too (not for anonymous callers).
   */
  async issueToken(
    caller: Caller,
    scopes: readonly string[],
    options: { refresh?: boolean } = {},
  ): Promise<IssuedToken> {
    if (!this.tokens) throw new Error(`auth: ${this.mode} issues no tokens`);
    const grants = await this.grants.of(caller);
    const issued: IssuedToken = await this.tokens.issue({
      name: caller.kind === 'anonymous' ? '' : caller.name,
      kind: caller.kind,
      access: grantedAccess(caller, grants, parseScopes(scopes), this.registries),
      apiKeyId: caller.kind === 'service-account' ? caller.apiKeyId : undefined,
    });
    if (options.refresh && caller.kind !== 'anonymous') {
      issued.refreshToken = await this.authenticator.issueRefreshToken(caller);
    }
    return issued;
  }

  private changed(): void {
    this.grants.invalidate();
    this.authenticator.invalidate();
  }

  /**
   * Remove audit events older than the retention and refresh tokens that have ended (expired or
   * revoked): neither table grows for ever. Every replica may run it; the deletes are idempotent.
   */
  async prune(now = Date.now()): Promise<{ audit: number; refreshTokens: number }> {
    const retentionMs = this.settings.audit?.retentionMs ?? 0;
    const audit = retentionMs > 0 ? await this.audit.prune(now - retentionMs) : 0;
    return { audit, refreshTokens: await deleteEndedRefreshTokens(this.db, now) };
  }

  /** Prune soon after start, then every `audit.pruneIntervalMs`, until `close`. */
  startPruning(): void {
    const interval = this.settings.audit?.pruneIntervalMs ?? 0;
    if (interval <= 0 || this.pruneTimer) return;
    const schedule = (delayMs: number) => {
      this.pruneTimer = setTimeout(() => {
        this.prune()
          .then(
            (removed) => {
              if (removed.audit > 0 || removed.refreshTokens > 0)
                this.log.info(removed, 'access: pruned old rows');
            },
            (err: unknown) => this.log.error({ err }, 'access: pruning failed'),
          )
          .finally(() => {
            if (this.pruneTimer) schedule(interval);
          });
      }, delayMs);
      this.pruneTimer.unref();
    };
    schedule(Math.min(1_000, interval));
  }

  async close(): Promise<void> {
    clearTimeout(this.pruneTimer);
    this.pruneTimer = undefined;
    await this.audit.flush();
  }
}
