import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  SignJWT,
  createLocalJWKSet,
  errors as joseErrors,
  jwtVerify,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { libtrustKeyId } from './key-id.js';
import { randomId } from './secrets.js';
import type { SigningKeys } from './signing-keys.js';
import type { AccessEntry } from './token-scope.js';
import type { PrincipalKind } from './principal.js';

/** What a verified token says. */
export interface VerifiedToken {
  subject: string;
  /** The kind of the subject when Arca issued the token; external tokens name users. */
  kind: PrincipalKind;
  access: AccessEntry[];
  expiresAt: number;
  /** When it was issued (`iat`, whole seconds, in ms); 0 when the token does not say. */
  issuedAt: number;
  /** The API key the token was obtained with, so revoking the key stops its tokens too. */
  apiKeyId?: string;
  /** Issued by this Arca (its own RBAC can be asked), or by an external token server. */
  issuedHere: boolean;
}

/** Why a token was refused, for the challenge's error_description and the audit log. */
export class TokenRejected extends Error {
  constructor(readonly reason: 'invalid' | 'expired' | 'audience' | 'issuer' | 'signature') {
    super(`token ${reason === 'invalid' ? 'invalid' : `rejected: ${reason}`}`);
  }
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

const acceptedAlgorithms = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
];
/** Allowed clock difference between this server and the token's issuer. */
const clockToleranceS = 10;

function rejected(err: unknown): TokenRejected {
  if (err instanceof TokenRejected) return err;
  if (err instanceof joseErrors.JWTExpired) return new TokenRejected('expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new TokenRejected('audience');
    if (err.claim === 'iss') return new TokenRejected('issuer');
    if (err.claim === 'exp') return new TokenRejected('expired');
    return new TokenRejected('invalid');
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new TokenRejected('signature');
  return new TokenRejected('invalid');
}

function accessOf(payload: JWTPayload): AccessEntry[] {
  const access = payload.access;
  if (!Array.isArray(access)) return [];
  return access.flatMap((e: unknown) => {
    const entry = e as Partial<AccessEntry> | null;
    if (
      !entry ||
      typeof entry.type !== 'string' ||
      typeof entry.name !== 'string' ||
      !Array.isArray(entry.actions)
    )
      return [];
    return [
      { type: entry.type, name: entry.name, actions: entry.actions.filter((a) => typeof a === 'string') },
    ];
  });
}

/**
 * Verified tokens, remembered until they expire: a pull or push sends the same token with every
 * request, and a signature check costs more than the request's own work.
 */
class VerifiedCache {
  private readonly entries = new Map<string, VerifiedToken>();

  get(token: string): VerifiedToken | undefined {
    const hit = this.entries.get(token);
    if (hit && hit.expiresAt + clockToleranceS * 1000 > Date.now()) return hit;
    if (hit) this.entries.delete(token);
    return undefined;
  }

  set(token: string, verified: VerifiedToken): void {
    if (this.entries.size >= 10_000) {
      const now = Date.now();
      for (const [k, v] of this.entries) if (v.expiresAt < now) this.entries.delete(k);
      if (this.entries.size >= 10_000) this.entries.clear();
    }
    this.entries.set(token, verified);
  }
}

export interface TokenServiceOptions {
  issuer: string;
  /** The audience (`aud`): the registry service the tokens are for. */
  service: string;
  /** Access token lifetime. */
  expirationMs: number;
}

/** Arca's own token service: signs short-lived JWTs with the current key, verifies with any kept key. */
export class TokenService implements TokenVerifier {
  private readonly cache = new VerifiedCache();

  constructor(
    private readonly keys: SigningKeys,
    readonly options: TokenServiceOptions,
  ) {}

  /** Sign a token carrying exactly `access`. */
  async issue(subject: {
    name: string;
    kind: PrincipalKind;
    access: AccessEntry[];
    apiKeyId?: string;
  }): Promise<{ token: string; expiresIn: number; issuedAt: Date }> {
    const key = await this.keys.current();
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = Math.max(1, Math.floor(this.options.expirationMs / 1000));
    const claims: JWTPayload = { access: subject.access, kind: subject.kind };
    if (subject.apiKeyId) claims.akid = subject.apiKeyId;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.options.issuer)
      .setSubject(subject.name)
      .setAudience(this.options.service)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomId(16))
      .sign(key.privateKey);
    return { token, expiresIn, issuedAt: new Date(now * 1000) };
  }

  async verify(token: string): Promise<VerifiedToken> {
    const cached = this.cache.get(token);
    if (cached) return cached;
    let result;
    try {
      result = await jwtVerify(
        token,
        (header: JWTHeaderParameters) => {
          const key = header.kid ? this.keys.verificationKey(header.kid) : undefined;
          if (!key || key.alg !== header.alg) throw new TokenRejected('signature');
          return key.publicKey;
        },
        {
          issuer: this.options.issuer,
          audience: this.options.service,
          algorithms: ['ES256', 'RS256'],
          clockTolerance: clockToleranceS,
          requiredClaims: ['exp', 'iat', 'sub'],
        },
      );
    } catch (err) {
      throw rejected(err);
    }
    const { payload } = result;
    const kind =
      payload.kind === 'service-account'
        ? 'service-account'
        : payload.kind === 'anonymous'
          ? 'anonymous'
          : 'user';
    const verified: VerifiedToken = {
      subject: payload.sub ?? '',
      kind,
      access: accessOf(payload),
      expiresAt: payload.exp! * 1000,
      issuedAt: (payload.iat ?? 0) * 1000,
      apiKeyId: typeof payload.akid === 'string' ? payload.akid : undefined,
      issuedHere: true,
    };
    this.cache.set(token, verified);
    return verified;
  }
}

export interface ExternalTrust {
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificates whose keys sign the tokens (registry:2's `rootcertbundle`). */
  rootcertbundle?: string;
  /** A JWKS file of the keys that sign the tokens (registry:2 3.x's `jwks`). */
  jwks?: string;
}

/**
 * Trust an external token server, as registry:2's `auth.token` does: a token is accepted when its
 * issuer and audience match and it is signed by a key of the root certificate bundle (found by
 * `kid`, or by an `x5c` chain that ends at one of those certificates) or of the JWKS file.
 * Its `access` claim is all the caller may do.
 */
export class ExternalTokenVerifier implements TokenVerifier {
  private readonly roots: X509Certificate[];
  private readonly rootKeys = new Map<string, KeyObject>();
  private readonly jwks?: ReturnType<typeof createLocalJWKSet>;
  private readonly cache = new VerifiedCache();

  constructor(private readonly trust: ExternalTrust) {
    this.roots = trust.rootcertbundle ? parseBundle(readFileSync(trust.rootcertbundle, 'utf8')) : [];
    for (const cert of this.roots) this.rootKeys.set(libtrustKeyId(cert.publicKey), cert.publicKey);
    if (trust.jwks) {
      this.jwks = createLocalJWKSet(JSON.parse(readFileSync(trust.jwks, 'utf8')) as JSONWebKeySet);
    }
  }

  async verify(token: string): Promise<VerifiedToken> {
    const cached = this.cache.get(token);
    if (cached) return cached;
    let result;
    try {
      result = await jwtVerify(token, async (header, flattened) => this.keyFor(header, flattened), {
        issuer: this.trust.issuer,
        audience: this.trust.service,
        algorithms: acceptedAlgorithms,
        clockTolerance: clockToleranceS,
        requiredClaims: ['exp'],
      });
    } catch (err) {
      throw rejected(err);
    }
    const { payload } = result;
    const verified: VerifiedToken = {
      subject: payload.sub ?? '',
      kind: payload.sub ? 'user' : 'anonymous',
      access: accessOf(payload),
      expiresAt: payload.exp! * 1000,
      issuedAt: (payload.iat ?? 0) * 1000,
      issuedHere: false,
    };
    this.cache.set(token, verified);
    return verified;
  }

  private async keyFor(
    header: JWTHeaderParameters,
    flattened: FlattenedJWSInput,
  ): Promise<KeyObject | CryptoKey> {
    if (Array.isArray(header.x5c) && header.x5c.length > 0 && this.roots.length > 0) {
      return this.chainKey(header.x5c);
    }
    if (header.kid && this.rootKeys.has(header.kid)) return this.rootKeys.get(header.kid)!;
    if (this.jwks) return this.jwks(header, flattened);
    throw new TokenRejected('signature');
  }

  /** The leaf key of an x5c chain that verifies up to one of the root certificates. */
  private chainKey(x5c: string[]): KeyObject {
    const chain = x5c.map((der) => new X509Certificate(Buffer.from(der, 'base64')));
    const now = Date.now();
    for (const cert of chain) {
      if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now)
        throw new TokenRejected('signature');
    }
    for (let i = 0; i + 1 < chain.length; i++) {
      if (!chain[i]!.verify(chain[i + 1]!.publicKey)) throw new TokenRejected('signature');
    }
    const last = chain.at(-1)!;
    const anchored = this.roots.some(
      (root) => root.raw.equals(last.raw) || (root.checkIssued(last) && last.verify(root.publicKey)),
    );
    if (!anchored) throw new TokenRejected('signature');
    return createPublicKey(chain[0]!.publicKey.export({ type: 'spki', format: 'pem' }));
  }
}

function parseBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}
