import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { filePathProblem, type Assets } from '../assets/index.js';
import { AppError } from '../errors/index.js';
import type { Distribution } from '../oci/index.js';
import type { HubRepo, HubRepos } from './hub-repos.js';
import { ndjsonLines } from './ndjson-lines.js';

/** An inline (`file`) line holds at most this much: larger files go through LFS. */
export const maxCommitLineBytes = 16 * 1024 * 1024;
/** Operations in one commit at most (a version's files at most). */
const maxOperations = 10_000;
/** Commits racing for the same head are retried this often before the last one gives up. */
const maxAttempts = 5;

type Change =
  { op: 'put'; path: string; digest: string; size: number } | { op: 'delete' | 'deleteFolder'; path: string };

interface Header {
  summary: string;
  parentCommit?: string;
}

const bad = (message: string) => new AppError('REQUEST_INVALID', message);

function checkedPath(value: unknown, line: number, field = 'path'): string {
  if (typeof value !== 'string') throw bad(`line ${line}: ${field} is required`);
  const problem = filePathProblem(value);
  if (problem) throw bad(`line ${line}: invalid path ${JSON.stringify(value.slice(0, 200))}: it ${problem}`);
  return value;
}

/** The version after `previous`: its trailing number plus one (`7` → `8`, `1.0` → `1.1`), else `<previous>-1`. */
export function nextVersion(previous: string | undefined): string {
  if (previous === undefined) return '1';
  const m = /^(.*?)(\d+)$/.exec(previous);
  return m ? `${m[1]}${BigInt(m[2]!) + 1n}` : `${previous}-1`;
}

/**
 * Hub commits: an NDJSON body (`header`, then `file`, `lfsFile`, `deletedFile`, `deletedFolder`
 * lines) becomes a new immutable version whose files are the head's plus the changes, published
 * through the assets room (so `latest`, the Hub's `main`, moves to it). Inline files go in through
 * the OCI upload path as they are read; LFS objects must be in the repository already. Nothing is
 * published unless every line holds, and a commit naming a parent that is no longer the head is
 * refused (412) as the Hub refuses it.
 */
export class HubCommits {
  constructor(
    private readonly assets: Assets,
    private readonly distribution: Distribution,
    private readonly repos: HubRepos,
  ) {}

  async commit(
    repo: HubRepo,
    body: AsyncIterable<Buffer>,
    by: string | null,
  ): Promise<{ commit: string; version: string }> {
    const { header, changes } = await this.read(repo, body);
    for (let attempt = 1; ; attempt++) {
      const head = await this.repos.head(repo);
      if (header.parentCommit !== undefined && header.parentCommit !== head?.commit) {
        throw new AppError(
          'PRECONDITION_FAILED',
          'A commit has happened since. Please refresh and try again.',
        );
      }
      const files = new Map(
        (head?.version.files ?? []).filter((f) => f.path !== null).map((f) => [f.path!, f]),
      );
      for (const change of changes) {
        if (change.op === 'put') {
          files.set(change.path, {
            path: change.path,
            digest: change.digest,
            size: change.size,
            mediaType: '',
          });
        } else if (change.op === 'delete') {
          if (!files.delete(change.path))
            throw new AppError(
              'ASSET_FILE_UNKNOWN',
              `cannot delete ${change.path.slice(0, 200)}: no such file`,
            );
        } else {
          const prefix = `${change.path}/`;
          for (const path of [...files.keys()]) if (path.startsWith(prefix)) files.delete(path);
        }
      }
      const version = nextVersion(head?.version.version);
      try {
        await this.assets.publisher.publish(
          repo.key,
          {
            version,
            description: header.summary,
            files: [...files.values()].map((f) => ({ path: f.path, digest: f.digest, size: f.size })),
          },
          by,
          async () => false,
        );
      } catch (err) {
        // Another commit took this version number: its head is the new parent.
        if (err instanceof AppError && err.code === 'ASSET_VERSION_EXISTS' && attempt < maxAttempts) continue;
        throw err;
      }
      const published = await this.repos.revision(repo, version);
      return { commit: published.commit, version };
    }
  }

  /** Every line, checked; inline files stored as they come. */
  private async read(
    repo: HubRepo,
    body: AsyncIterable<Buffer>,
  ): Promise<{ header: Header; changes: Change[] }> {
    let header: Header | undefined;
    const changes: Change[] = [];
    for await (const { line, value } of ndjsonLines(body, maxCommitLineBytes)) {
      const { key } = value;
      const v = value.value;
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw bad(`line ${line}: value must be an object`);
      const fields = v as Record<string, unknown>;
      if (key === 'header') {
        if (header || changes.length > 0) throw bad(`line ${line}: the header must come first, once`);
        const parent = fields.parentCommit;
        if (
          parent !== undefined &&
          parent !== null &&
          (typeof parent !== 'string' || !/^[0-9a-f]{40}$/.test(parent))
        )
          throw bad(`line ${line}: parentCommit must be a 40-hex commit id`);
        header = {
          summary: typeof fields.summary === 'string' ? fields.summary.slice(0, 1000) : '',
          ...(typeof parent === 'string' ? { parentCommit: parent } : {}),
        };
        continue;
      }
      if (!header) throw bad(`line ${line}: the first line must be the header`);
      if (changes.length >= maxOperations) throw bad(`at most ${maxOperations} operations in one commit`);
      if (key === 'file') changes.push(await this.inline(repo, fields, line));
      else if (key === 'lfsFile') changes.push(await this.lfs(repo, fields, line));
      else if (key === 'deletedFile') changes.push({ op: 'delete', path: checkedPath(fields.path, line) });
      else if (key === 'deletedFolder')
        changes.push({
          op: 'deleteFolder',
          path: checkedPath(String(fields.path ?? '').replace(/\/+$/, ''), line),
        });
      else throw bad(`line ${line}: unsupported operation ${JSON.stringify(String(key).slice(0, 50))}`);
    }
    if (!header) throw bad('the commit has no header line');
    return { header, changes };
  }

  private async inline(repo: HubRepo, fields: Record<string, unknown>, line: number): Promise<Change> {
    const path = checkedPath(fields.path, line);
    if (typeof fields.content !== 'string') throw bad(`line ${line}: content is required`);
    const encoding = fields.encoding ?? 'utf-8';
    if (encoding !== 'base64' && encoding !== 'utf-8') throw bad(`line ${line}: unsupported encoding`);
    if (encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(fields.content))
      throw bad(`line ${line}: content is not base64`);
    const bytes = Buffer.from(fields.content, encoding === 'base64' ? 'base64' : 'utf8');
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (!(await this.holds(repo, digest, bytes.length))) {
      await this.distribution.uploads.monolithic(
        repo.repository,
        digest,
        Readable.from([bytes]),
        bytes.length,
      );
    }
    return { op: 'put', path, digest, size: bytes.length };
  }

  private async lfs(repo: HubRepo, fields: Record<string, unknown>, line: number): Promise<Change> {
    const path = checkedPath(fields.path, line);
    const { oid, size, algo } = fields;
    if (algo !== undefined && algo !== 'sha256') throw bad(`line ${line}: algo must be sha256`);
    if (typeof oid !== 'string' || !/^[0-9a-f]{64}$/.test(oid))
      throw bad(`line ${line}: oid must be 64 hex digits`);
    if (size !== undefined && (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0))
      throw bad(`line ${line}: size must be a non-negative integer`);
    const digest = `sha256:${oid}`;
    const stored = await this.size(repo, digest);
    if (stored === undefined)
      throw bad(`line ${line}: LFS object ${oid} (${path.slice(0, 200)}) was never uploaded`);
    if (size !== undefined && stored !== size)
      throw bad(`line ${line}: LFS object ${oid} has ${stored} bytes, not ${size}`);
    return { op: 'put', path, digest, size: stored };
  }

  private async holds(repo: HubRepo, digest: string, size: number): Promise<boolean> {
    return (await this.size(repo, digest)) === size;
  }

  private async size(repo: HubRepo, digest: string): Promise<number | undefined> {
    try {
      return await this.distribution.blobs.stat(repo.repository, digest);
    } catch (err) {
      if (err instanceof AppError && err.code === 'BLOB_UNKNOWN') return undefined;
      throw err;
    }
  }
}
