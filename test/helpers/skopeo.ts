import { exec, type ExecOptions, type ExecResult } from './exec.js';
import type { Credentials } from './htpasswd.js';
import { clientsHome } from './clients-env.js';

/**
 * Thin wrappers around skopeo (1.9). Every call runs with the isolated client home of
 * `clientsHome()` and plain http (`--*-tls-verify=false`: containers/image does not treat
 * 127.0.0.1 as insecure). References are full transport references
 * (`docker://127.0.0.1:5000/ns/img:v1`, `oci:DIR:TAG`, `dir:DIR`).
 */

export interface SkopeoAuth {
  creds?: Credentials;
  /** An auth file written by `skopeoLogin` / `podman login --authfile`. */
  authfile?: string;
}

export interface SkopeoRunOptions {
  /** Throw unless skopeo exits 0. Default true. */
  check?: boolean;
  timeoutMs?: number;
}

export interface SkopeoCopyOptions extends SkopeoRunOptions {
  srcCreds?: Credentials;
  destCreds?: Credentials;
  /** Used for both ends. */
  authfile?: string;
  /** `--all`: copy an index/manifest list with all its children. */
  all?: boolean;
  /** `-f`: the manifest type to write at the destination. */
  format?: 'v2s2' | 'oci';
  /** `--preserve-digests`: fail instead of changing a manifest (and so its digest). */
  preserveDigests?: boolean;
}

export function dockerRef(host: string, repo: string, tagOrDigest: string): string {
  const sep = tagOrDigest.startsWith('sha256:') ? '@' : ':';
  return `docker://${host}/${repo}${sep}${tagOrDigest}`;
}

function credsArg(c: Credentials): string {
  return `${c.user}:${c.pass}`;
}

function authArgs(auth: SkopeoAuth): string[] {
  const args: string[] = [];
  if (auth.creds) args.push('--creds', credsArg(auth.creds));
  if (auth.authfile) args.push('--authfile', auth.authfile);
  return args;
}

/** Run `skopeo <args>` with the isolated client environment and its policy/registries.d. */
export function skopeo(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const home = clientsHome();
  return exec('skopeo', ['--policy', home.policyPath, '--registries.d', home.registriesD, ...args], {
    ...opts,
    env: { ...home.env, ...opts.env },
  });
}

export function skopeoCopy(src: string, dest: string, opts: SkopeoCopyOptions = {}): Promise<ExecResult> {
  const args = ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false'];
  if (opts.srcCreds) args.push('--src-creds', credsArg(opts.srcCreds));
  if (opts.destCreds) args.push('--dest-creds', credsArg(opts.destCreds));
  if (opts.authfile) args.push('--authfile', opts.authfile);
  if (opts.all) args.push('--all');
  if (opts.format) args.push('--format', opts.format);
  if (opts.preserveDigests) args.push('--preserve-digests');
  args.push(src, dest);
  return skopeo(args, { check: opts.check ?? true, timeoutMs: opts.timeoutMs });
}

/** `skopeo inspect --format {{.Digest}}`: the digest of the manifest (or index) the reference names. */
export async function skopeoInspectDigest(
  ref: string,
  opts: SkopeoAuth & SkopeoRunOptions = {},
): Promise<string> {
  const { stdout } = await skopeo(
    ['inspect', '--tls-verify=false', ...authArgs(opts), '--format', '{{.Digest}}', ref],
    {
      check: opts.check ?? true,
      timeoutMs: opts.timeoutMs,
    },
  );
  return stdout.trim();
}

/** `skopeo inspect --raw`: the manifest bytes exactly as the registry served them. */
export async function skopeoInspectRaw(
  ref: string,
  opts: SkopeoAuth & SkopeoRunOptions = {},
): Promise<Buffer> {
  const { stdoutBytes } = await skopeo(['inspect', '--tls-verify=false', '--raw', ...authArgs(opts), ref], {
    check: opts.check ?? true,
    timeoutMs: opts.timeoutMs,
  });
  return stdoutBytes;
}

/**
 * The manifests of `host`'s `[repository, tag]` pairs exactly as served, by `repo:tag`, and those of
 * an index's children by `repo@digest`.
 */
export async function rawManifests(
  host: string,
  refs: readonly (readonly [string, string])[],
  opts: SkopeoAuth & SkopeoRunOptions = {},
): Promise<Map<string, Buffer>> {
  const raw = new Map<string, Buffer>();
  for (const [repo, tag] of refs) {
    const bytes = await skopeoInspectRaw(dockerRef(host, repo, tag), opts);
    raw.set(`${repo}:${tag}`, bytes);
    const index = JSON.parse(bytes.toString('utf8')) as { manifests?: { digest: string }[] };
    for (const child of index.manifests ?? []) {
      raw.set(`${repo}@${child.digest}`, await skopeoInspectRaw(dockerRef(host, repo, child.digest), opts));
    }
  }
  return raw;
}

/** `skopeo list-tags` of `docker://host/repo` (no tag), in the registry's order. */
export async function skopeoListTags(
  repoRef: string,
  opts: SkopeoAuth & SkopeoRunOptions = {},
): Promise<string[]> {
  const { stdout } = await skopeo(['list-tags', '--tls-verify=false', ...authArgs(opts), repoRef], {
    check: opts.check ?? true,
    timeoutMs: opts.timeoutMs,
  });
  return (JSON.parse(stdout) as { Tags: string[] | null }).Tags ?? [];
}

/** `skopeo delete`: resolves the reference and deletes the manifest by digest. */
export function skopeoDelete(ref: string, opts: SkopeoAuth & SkopeoRunOptions = {}): Promise<ExecResult> {
  return skopeo(['delete', '--tls-verify=false', ...authArgs(opts), ref], {
    check: opts.check ?? true,
    timeoutMs: opts.timeoutMs,
  });
}

/** `skopeo login` into `host` (127.0.0.1:port), writing only `authfile`. */
export function skopeoLogin(
  host: string,
  creds: Credentials,
  opts: { authfile: string } & SkopeoRunOptions,
): Promise<ExecResult> {
  return skopeo(
    [
      'login',
      '--tls-verify=false',
      '--authfile',
      opts.authfile,
      '--username',
      creds.user,
      '--password-stdin',
      host,
    ],
    { input: creds.pass + '\n', check: opts.check ?? true, timeoutMs: opts.timeoutMs },
  );
}
