import { createReadStream } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Distribution } from '../oci/index.js';
import type { HubRepo, HubRevision } from './hub-repos.js';
import { hexOf, repoIdText } from './repo-id.js';

/** README cards larger than this are not read for their front matter. */
const maxCardBytes = 64 * 1024;

/** The YAML front matter of a README (`---` … `---`), as the Hub's `cardData`; null without one. */
export function frontMatter(text: string): Record<string, unknown> | null {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/.exec(text);
  if (!m) return null;
  try {
    const value = parseYaml(m[1]!, { maxAliasCount: 100 }) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The card of a version: the one published with it, else its README's front matter. */
async function cardData(
  distribution: Distribution,
  repo: HubRepo,
  revision: HubRevision,
): Promise<Record<string, unknown> | null> {
  if (revision.version.card) return revision.version.card;
  const readme = revision.version.files.find((f) => f.path === 'README.md');
  if (!readme || readme.size > maxCardBytes) return null;
  const chunks: Buffer[] = [];
  const body = await distribution.blobs.read(repo.repository, readme.digest);
  const stream = body.stream ?? createReadStream('', { fd: body.fd, autoClose: true });
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return frontMatter(Buffer.concat(chunks).toString('utf8'));
}

/** The Hub's repository information (`/api/models/<id>`, `/api/datasets/<id>`). */
export async function repoInfo(
  distribution: Distribution,
  repo: HubRepo,
  revision: HubRevision | undefined,
  isPublic: boolean,
): Promise<Record<string, unknown>> {
  const id = repoIdText(repo.id);
  const card = revision ? await cardData(distribution, repo, revision) : null;
  const tags = Object.entries(repo.asset.tags).map(([k, v]) => (v === '' ? k : `${k}:${v}`));
  return {
    _id: `${repo.key.registry}/${repo.key.kind}/${repo.key.name}`,
    id,
    ...(repo.id.type === 'model' ? { modelId: id } : {}),
    author: repo.key.registry,
    ...(revision ? { sha: revision.commit } : {}),
    lastModified: revision?.version.createdAt ?? repo.asset.updatedAt,
    createdAt: repo.asset.createdAt,
    private: !isPublic,
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    tags,
    description: repo.asset.description,
    ...(card ? { cardData: card } : {}),
    siblings: (revision?.version.files ?? [])
      .filter((f) => f.path !== null)
      .map((f) => ({
        rfilename: f.path,
        size: f.size,
        blobId: hexOf(f.digest).slice(0, 40),
        lfs: { sha256: hexOf(f.digest), size: f.size, pointerSize: 134 },
      })),
  };
}
