import { useEffect, useState } from 'react';
import { can, useMe } from '../permissions';
import { Link } from '../router';
import { api, download } from '../session';
import type { AssetView, FileView, Paged, Registry, VersionView } from '../types';
import {
  ConfirmButton,
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

/** One asset: its versions (paged), and a version's card, files, labels and lineage. */
export default function AssetDetail({
  kind,
  registry,
  name,
}: {
  kind: string;
  registry: string;
  name: string;
}) {
  const me = useMe();
  const base = `/registries/${encodeURIComponent(registry)}/${kind}/${encodeURIComponent(name)}`;
  const asset = useAsync(() => api<AssetView>('GET', base), [base]);
  const reg = useAsync(() => api<Registry>('GET', `/registries/${encodeURIComponent(registry)}`), [registry]);
  const pages = useCursorPages(base);
  const versions = useAsync(
    () =>
      api<Paged<VersionView>>(
        'GET',
        `${base}/versions?limit=50${pages.cursor ? `&cursor=${encodeURIComponent(pages.cursor)}` : ''}`,
      ),
    [base, pages.cursor],
  );
  const [chosen, setChosen] = useState<string | null>(null);
  useEffect(() => {
    if (chosen === null && versions.data?.items[0]) setChosen(versions.data.items[0].version);
  }, [versions.data, chosen]);
  const where = reg.data ? { registry: reg.data.path, namespace: reg.data.namespace } : {};
  const [error, setError] = useState<unknown>();

  return (
    <>
      <p>
        <Link to={`/${kind}`}>← All {kind}</Link>
      </p>
      <ErrorNote error={asset.error ?? versions.error ?? error} />
      {asset.data && (
        <Section title={`${asset.data.name} in ${asset.data.registry}`}>
          <dl className="meta">
            <dt>Description</dt>
            <dd>{asset.data.description || '—'}</dd>
            <dt>Latest version</dt>
            <dd>{asset.data.latestVersion ?? '—'}</dd>
            <dt>Labels</dt>
            <dd>
              {Object.entries(asset.data.labels).map(([l, v]) => (
                <span key={l} className="badge">
                  {l} → {v}
                </span>
              ))}
            </dd>
            <dt>Tags</dt>
            <dd>
              {Object.entries(asset.data.tags).map(([k, v]) => (
                <span key={k} className="badge">
                  {v ? `${k}=${v}` : k}
                </span>
              ))}
            </dd>
          </dl>
        </Section>
      )}
      <Section title="Versions">
        <Loading when={versions.loading && !versions.data} />
        {versions.data && (
          <>
            <div className="tabs" role="group" aria-label="Choose a version">
              {versions.data.items.map((v) => (
                <button
                  key={v.version}
                  type="button"
                  aria-pressed={v.version === chosen}
                  onClick={() => setChosen(v.version)}
                >
                  {v.version}
                </button>
              ))}
            </div>
            <Pager
              page={pages.page}
              hasNext={!!versions.data.next}
              onPrevious={pages.previous}
              onNext={() => versions.data?.next && pages.next(versions.data.next)}
            />
          </>
        )}
      </Section>
      {chosen && (
        <Version
          base={base}
          version={chosen}
          mayDelete={can(me, 'registries/assets/delete', where)}
          onDeleted={() => {
            setChosen(null);
            versions.reload();
            asset.reload();
          }}
          onError={setError}
        />
      )}
    </>
  );
}

function Version({
  base,
  version,
  mayDelete,
  onDeleted,
  onError,
}: {
  base: string;
  version: string;
  mayDelete: boolean;
  onDeleted: () => void;
  onError: (e: unknown) => void;
}) {
  const v = useAsync(
    () => api<VersionView>('GET', `${base}/versions/${encodeURIComponent(version)}`),
    [base, version],
  );
  if (!v.data) return <ErrorNote error={v.error} />;
  const data = v.data;
  const files = data.files.filter((f): f is FileView & { path: string } => f.path !== null);
  const total = data.files.reduce((n, f) => n + Number(f.size), 0);
  const fileUrl = (path: string) =>
    `/api/v1${base}/versions/${encodeURIComponent(version)}/files/${path.split('/').map(encodeURIComponent).join('/')}`;
  const get = (what: () => Promise<void>) => what().catch(onError);
  return (
    <Section
      title={`Version ${data.version}`}
      actions={
        <div className="row-actions">
          <button
            type="button"
            onClick={() =>
              get(() =>
                download(
                  `/api/v1${base}/versions/${encodeURIComponent(version)}/archive`,
                  `${data.name}-${data.version}.tar`,
                ),
              )
            }
          >
            Download version (tar)
          </button>
          {mayDelete && (
            <ConfirmButton
              label="Delete version"
              question={`Delete version ${data.version}?`}
              onConfirm={() =>
                api('DELETE', `${base}/versions/${encodeURIComponent(version)}`).then(onDeleted, onError)
              }
            />
          )}
        </div>
      }
    >
      <dl className="meta">
        <dt>Address</dt>
        <dd>
          <CopyText text={data.uri} label="asset address" />
        </dd>
        <dt>Format</dt>
        <dd>{data.format}</dd>
        <dt>Digest</dt>
        <dd className="mono">{data.digest}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(total)}</dd>
        <dt>Labels</dt>
        <dd>
          {data.labels.length
            ? data.labels.map((l) => (
                <span key={l} className="badge">
                  {l}
                </span>
              ))
            : '—'}
        </dd>
        <dt>Lineage</dt>
        <dd>
          {data.lineage.length
            ? data.lineage.map((l) => (
                <div key={l} className="mono">
                  {l}
                </div>
              ))
            : '—'}
        </dd>
        <dt>Created</dt>
        <dd>
          {new Date(data.createdAt).toLocaleString()} {data.createdBy ? `by ${data.createdBy}` : ''}
        </dd>
      </dl>
      <h3>Card</h3>
      <Card card={data.card} description={data.description} />
      <h3>Files</h3>
      <Table caption={`Files of version ${data.version}`} head={['Path', 'Size', 'Digest', '']}>
        {files.map((f) => (
          <tr key={f.path}>
            <td className="mono">{f.path}</td>
            <td>{formatBytes(f.size)}</td>
            <td className="mono">{f.digest.slice(0, 19)}…</td>
            <td>
              <button
                type="button"
                aria-label={`Download ${f.path}`}
                onClick={() => get(() => download(fileUrl(f.path), f.path.split('/').pop()!))}
              >
                Download
              </button>
            </td>
          </tr>
        ))}
      </Table>
    </Section>
  );
}

/** The LLMOS card: its description as text, its metadata as a list (no HTML from the card is rendered). */
function Card({ card, description }: { card: VersionView['card']; description: string }) {
  const text = card?.description ?? description;
  const meta = Object.entries(card?.metadata ?? {});
  if (!text && meta.length === 0) return <p className="muted">This version has no card.</p>;
  return (
    <div className="card" data-testid="card">
      {text && <pre>{text}</pre>}
      {meta.length > 0 && (
        <dl className="meta">
          {meta.map(([k, value]) => (
            <div key={k} style={{ display: 'contents' }}>
              <dt>{k}</dt>
              <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
            </div>
          ))}
        </dl>
      )}
    </div>
  );
}
