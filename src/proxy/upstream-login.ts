/** What is presented to an upstream: a REGISTRY credential's payload, or registry:2's proxy keys. */
export interface UpstreamLogin {
  /** The origin the secret was stored for (`registry=`): it is presented nowhere else. */
  registry: string;
  username?: string;
  secret: string;
  /** A token service on another origin trusted with the secret (`realm=`). */
  realm?: string;
}

/** How an upstream's sign-in is named in messages: the credential, never its secret. */
export interface UpstreamIdentity {
  /** `credential 'dockerhub'`, `proxy.username 'bob'`, or `no credential`. */
  label: string;
  /** The login to present, read when needed (a replaced credential takes effect). */
  login(): Promise<UpstreamLogin | undefined>;
}
