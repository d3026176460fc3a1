import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, type ExecOptions, type ExecResult } from './exec.js';
import type { Credentials } from './htpasswd.js';
import { clientsHome } from './clients-env.js';
import { makeTempDir, type TempDir } from './tmp.js';

/**
 * podman (4.3) with its own storage: every call gets
 * `--root <dir>/storage --runroot <dir>/runroot --storage-driver vfs --tmpdir <dir>/tmp`,
 * no events, cgroupfs, a storage.conf of its own and the isolated client home of
 * `clientsHome()`, so it never touches /var/lib/containers or the system auth file.
 * Registry calls always pass `--tls-verify=false`. Only build/push/pull/login/inspect work
 * here: `podman run` fails on this kind of machine (crun cannot set RLIMIT_NOFILE).
 */
export interface PodmanAuth {
  creds?: Credentials;
  authfile?: string;
}

export interface PodmanRunOptions {
  /** Throw unless podman exits 0. Default true. */
  check?: boolean;
  timeoutMs?: number;
}

export class Podman {
  private constructor(
    private readonly tmp: TempDir,
    private readonly globalArgs: readonly string[],
    private readonly env: Record<string, string>,
  ) {}

  /** The directory holding this instance's storage. */
  get dir(): string {
    return this.tmp.path;
  }

  static create(): Podman {
    const tmp = makeTempDir('podman-');
    const root = join(tmp.path, 'storage');
    const runroot = join(tmp.path, 'runroot');
    const tmpdir = join(tmp.path, 'tmp');
    for (const d of [root, runroot, tmpdir]) mkdirSync(d, { recursive: true });
    const storageConf = join(tmp.path, 'storage.conf');
    writeFileSync(
      storageConf,
      `[storage]\ndriver = "vfs"\nrunroot = ${JSON.stringify(runroot)}\ngraphroot = ${JSON.stringify(root)}\n`,
    );
    const globalArgs = [
      '--root',
      root,
      '--runroot',
      runroot,
      '--storage-driver',
      'vfs',
      '--tmpdir',
      tmpdir,
      '--events-backend',
      'none',
      '--cgroup-manager',
      'cgroupfs',
    ];
    return new Podman(tmp, globalArgs, {
      ...clientsHome().env,
      CONTAINERS_STORAGE_CONF: storageConf,
      TMPDIR: tmpdir,
    });
  }

  /** `podman <global flags> <args>`. */
  run(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return exec('podman', [...this.globalArgs, ...args], { ...opts, env: { ...this.env, ...opts.env } });
  }

  private authArgs(auth: PodmanAuth): string[] {
    const args: string[] = [];
    if (auth.creds) args.push('--creds', `${auth.creds.user}:${auth.creds.pass}`);
    if (auth.authfile) args.push('--authfile', auth.authfile);
    return args;
  }

  /** `podman build` of `contextDir` (its Containerfile); returns the image ID. */
  async build(contextDir: string, tag: string, opts: PodmanRunOptions = {}): Promise<string> {
    const { stdout } = await this.run(['build', '--quiet', '--format', 'oci', '--tag', tag, contextDir], {
      check: opts.check ?? true,
      timeoutMs: opts.timeoutMs,
    });
    return stdout.trim().split('\n').pop() ?? '';
  }

  /**
   * `podman push image dest` (dest: `docker://host/repo:tag` or `oci:DIR:TAG`). `digest` is the
   * manifest digest podman pushed (from `--digestfile`), '' when the push failed.
   */
  async push(
    image: string,
    dest: string,
    opts: PodmanAuth & PodmanRunOptions = {},
  ): Promise<{ result: ExecResult; digest: string }> {
    const digestFile = join(this.dir, `digest-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const args = ['push', '--quiet', '--digestfile', digestFile, ...this.authArgs(opts)];
    if (dest.startsWith('docker://')) args.push('--tls-verify=false');
    const result = await this.run([...args, image, dest], {
      check: opts.check ?? true,
      timeoutMs: opts.timeoutMs,
    });
    const digest = result.code === 0 ? (await readFile(digestFile, 'utf8')).trim() : '';
    return { result, digest };
  }

  /** `podman pull --tls-verify=false ref` (ref: `host/repo:tag`, `docker://…` or `oci:DIR:TAG`). */
  pull(ref: string, opts: PodmanAuth & PodmanRunOptions = {}): Promise<ExecResult> {
    const args = ['pull', '--quiet', ...this.authArgs(opts)];
    if (!ref.startsWith('oci:') && !ref.startsWith('dir:')) args.push('--tls-verify=false');
    return this.run([...args, ref], { check: opts.check ?? true, timeoutMs: opts.timeoutMs });
  }

  /** `podman login --authfile F`: never the default auth file. */
  login(
    host: string,
    creds: Credentials,
    opts: { authfile: string } & PodmanRunOptions,
  ): Promise<ExecResult> {
    return this.run(
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

  /** `podman image inspect --format <go template>`. */
  async inspect(image: string, format: string): Promise<string> {
    const { stdout } = await this.run(['image', 'inspect', '--format', format, image], { check: true });
    return stdout.trim();
  }

  /** Remove this instance's storage (plain files with vfs: nothing is mounted). */
  async cleanup(): Promise<void> {
    await this.tmp.cleanup();
  }
}
