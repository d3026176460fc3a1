import { useState } from 'react';
import { v2 } from '../session';
import {
  CopyText,
  ErrorNote,
  formatBytes,
  Loading,
  Pager,
  Section,
  Table,
  useAsync,
  useCursorPages,
} from '../ui';

const pageSize = 50;
const manifestTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { os: string; architecture: string; variant?: string };
}

interface Manifest {
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/** The `last` of a `Link: </v2/...?last=x>; rel="next"` header: the cursor of the next page. */
function nextCursor(link: string | null): string | null {
  if (!link) return null;
  const url = /<([^>]+)>/.exec(link)?.[1];
  return url ? new URL(url, location.origin).searchParams.get('last') : null;
}

/** Repositories the caller may pull (the /v2 catalog, paged), their tags and what a tag holds. */
export default function Repositories() {
  const pages = useCursorPages('repositories');
  const list = useAsync(async () => {
    const q = new URLSearchParams({ n: String(pageSize) });
    if (pages.cursor) q.set('last', pages.cursor);
    const res = await v2(`_catalog?${q}`, 'registry:catalog:*');
    const body = (await res.json()) as { repositories: string[] };
    return { items: body.repositories ?? [], next: nextCursor(res.headers.get('Link')) };
  }, [pages.cursor]);
  const [chosen, setChosen] = useState<string | null>(null);

  return (
    <>
      <Section title="Repositories">
        <ErrorNote error={list.error} />
        <Loading when={list.loading && !list.data} />
        {list.data && (
          <>
            <Table caption="Repositories" head={['Repository', '']}>
              {list.data.items.map((name) => (
                <tr key={name}>
                  <td className="mono">{name}</td>
                  <td>
                    <button
                      type="button"
                      aria-pressed={chosen === name}
                      onClick={() => setChosen(name)}
                      aria-label={`Tags of ${name}`}
                    >
                      Tags
                    </button>
                  </td>
                </tr>
              ))}
            </Table>
            {list.data.items.length === 0 && <p>No repositories you may pull.</p>}
            <Pager
              page={pages.page}
              hasNext={!!list.data.next}
              onPrevious={pages.previous}
              onNext={() => list.data?.next && pages.next(list.data.next)}
            />
          </>
        )}
      </Section>
      {chosen && <Tags repository={chosen} />}
    </>
  );
}

function Tags({ repository }: { repository: string }) {
  const scope = `repository:${repository}:pull`;
  const pages = useCursorPages(repository);
  const tags = useAsync(async () => {
    const q = new URLSearchParams({ n: '100' });
    if (pages.cursor) q.set('last', pages.cursor);
    const res = await v2(`${repository}/tags/list?${q}`, scope);
    const body = (await res.json()) as { tags: string[] | null };
    return { items: body.tags ?? [], next: nextCursor(res.headers.get('Link')) };
  }, [repository, pages.cursor]);
  const [tag, setTag] = useState<string | null>(null);
  return (
    <Section title={`Tags of ${repository}`}>
      <ErrorNote error={tags.error} />
      {tags.data && (
        <>
          <div className="tabs" role="group" aria-label="Choose a tag">
            {tags.data.items.map((t) => (
              <button key={t} type="button" aria-pressed={t === tag} onClick={() => setTag(t)}>
                {t}
              </button>
            ))}
          </div>
          {tags.data.items.length === 0 && <p>No tags.</p>}
          <Pager
            page={pages.page}
            hasNext={!!tags.data.next}
            onPrevious={pages.previous}
            onNext={() => tags.data?.next && pages.next(tags.data.next)}
          />
        </>
      )}
      {tag && <TagDetail repository={repository} tag={tag} />}
    </Section>
  );
}

function TagDetail({ repository, tag }: { repository: string; tag: string }) {
  const scope = `repository:${repository}:pull`;
  const detail = useAsync(async () => {
    const res = await v2(`${repository}/manifests/${encodeURIComponent(tag)}`, scope, {
      Accept: manifestTypes,
    });
    const digest = res.headers.get('Docker-Content-Digest') ?? '';
    const text = await res.text();
    const manifest = JSON.parse(text) as Manifest;
    const referrers = await v2(`${repository}/referrers/${digest}`, scope)
      .then((r) => r.json() as Promise<{ manifests?: Descriptor[] }>)
      .then((r) => r.manifests ?? [])
      .catch(() => [] as Descriptor[]);
    return { digest, manifest, size: new TextEncoder().encode(text).length, referrers };
  }, [repository, tag]);
  if (!detail.data) return <ErrorNote error={detail.error} />;
  const { digest, manifest, size, referrers } = detail.data;
  const total = size + (manifest.config?.size ?? 0) + (manifest.layers ?? []).reduce((n, l) => n + l.size, 0);
  return (
    <div className="card">
      <dl className="meta">
        <dt>Pull</dt>
        <dd>
          <CopyText text={`podman pull ${location.host}/${repository}:${tag}`} label="pull command" />
        </dd>
        <dt>Digest</dt>
        <dd className="mono">{digest}</dd>
        <dt>Media type</dt>
        <dd className="mono">{manifest.mediaType ?? '—'}</dd>
        {manifest.artifactType && (
          <>
            <dt>Artifact type</dt>
            <dd className="mono">{manifest.artifactType}</dd>
          </>
        )}
        <dt>Size</dt>
        <dd>{manifest.manifests ? `${formatBytes(size)} (index)` : formatBytes(total)}</dd>
      </dl>
      {manifest.manifests && (
        <Table caption="Platforms" head={['Platform', 'Digest', 'Size']}>
          {manifest.manifests.map((m) => (
            <tr key={m.digest}>
              <td>
                {m.platform
                  ? [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/')
                  : (m.artifactType ?? '—')}
              </td>
              <td className="mono">{m.digest}</td>
              <td>{formatBytes(m.size)}</td>
            </tr>
          ))}
        </Table>
      )}
      {manifest.layers && (
        <Table caption="Layers" head={['Layer', 'Digest', 'Size']}>
          {manifest.layers.map((l, i) => (
            <tr key={`${l.digest}-${i}`}>
              <td className="mono">{l.annotations?.['org.opencontainers.image.title'] ?? l.mediaType}</td>
              <td className="mono">{l.digest}</td>
              <td>{formatBytes(l.size)}</td>
            </tr>
          ))}
        </Table>
      )}
      <h3>Referrers (signatures, SBOMs, attestations)</h3>
      {referrers.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <Table caption="Referrers" head={['Artifact type', 'Digest', 'Size']}>
          {referrers.map((r) => (
            <tr key={r.digest}>
              <td className="mono">{r.artifactType ?? r.mediaType}</td>
              <td className="mono">{r.digest}</td>
              <td>{formatBytes(r.size)}</td>
            </tr>
          ))}
        </Table>
      )}
    </div>
  );
}
