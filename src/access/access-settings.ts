import type { SigningAlgorithm } from './signing-keys.js';
import type { ThrottleLimits } from './throttle.js';
import type { ExternalTrust } from './tokens.js';

/** How callers prove who they are. */
export type AuthSettings =
  | { kind: 'none' }
  /**
   * registry:2's htpasswd: Basic challenge; Arca's own accounts and API keys work beside the file's
   * users. A file user without role assignments may do what registry:2 lets it (pull, push, delete
   * on /v2, and read the catalog); `admins` are Owners.
   */
  | { kind: 'htpasswd'; realm: string; path: string; admins?: string[] }
  /** Arca's own accounts and token service (the default). */
  | { kind: 'arca' }
  /** registry:2's `auth.token`: trust an external token server. */
  | ({ kind: 'token' } & ExternalTrust);

/** Arca's own access settings (the `access` section of the configuration). */
export interface AccessSettings {
  auth: AuthSettings;
  /** Where the token signing keys live. */
  keysDirectory: string;
  token: {
    issuer: string;
    service: string;
    /** The token endpoint's public URL; default: derived from each request's Host. */
    realm?: string;
    expirationMs: number;
    refreshExpirationMs: number;
    algorithm: SigningAlgorithm;
    rotationMs: number;
  };
  throttle?: Partial<ThrottleLimits>;
  /** How long audit events are kept (0: for ever); how often old ones and ended refresh tokens go. */
  audit?: { retentionMs: number; pruneIntervalMs: number };
}
