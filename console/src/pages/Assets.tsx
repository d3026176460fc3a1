import { useEffect, useState, type FormEvent } from 'react';
import { can, useMe } from '../permissions';
import { Link } from '../router';
import { api } from '../session';
import type { AssetView, Paged, Registry } from '../types';
import { ErrorNote, Loading, Pager, Section, Table, useAsync, useCursorPages } from '../ui';
import { Upload } from './Upload';

const pageSize = 50;

/** Models, datasets, environments or components of one registry: searched, filtered, paged by the server. */
export default function Assets({ kind }: { kind: 'models' | 'datasets' | 'environments' | 'components' }) {
  const me = useMe();
  const registries = useAsync(() => api<{ items: Registry[] }>('GET', '/registries'), []);
  const [registry, setRegistry] = useState('');
  const [filters, setFilters] = useState({ name: '', tag: '', sort: 'name' });
  const [uploading, setUploading] = useState(false);
  useEffect(() => {
    const items = registries.data?.items ?? [];
    if (!registry && items.length > 0) setRegistry((items.find((r) => r.default) ?? items[0]!).path);
  }, [registries.data, registry]);
  const pages = useCursorPages(`${kind} ${registry} ${JSON.stringify(filters)}`);
  const list = useAsync(async () => {
    if (!registry) return { items: [], next: null } as Paged<AssetView>;
    const q = new URLSearchParams({ limit: String(pageSize), sort: filters.sort });
    if (filters.name) q.set('name', filters.name);
    if (filters.tag) q.set('tag', filters.tag);
    if (pages.cursor) q.set('cursor', pages.cursor);
    return api<Paged<AssetView>>('GET', `/registries/${encodeURIComponent(registry)}/${kind}?${q}`);
  }, [kind, registry, JSON.stringify(filters), pages.cursor]);
  const current = registries.data?.items.find((r) => r.path === registry);
  const mayWrite = current
    ? can(me, 'registries/assets/write', { registry: current.path, namespace: current.namespace })
    : false;

  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    setFilters({
      name: String(f.get('name') ?? ''),
      tag: String(f.get('tag') ?? ''),
      sort: String(f.get('sort') ?? 'name'),
    });
  };

  return (
    <Section
      title={`${kind[0]!.toUpperCase()}${kind.slice(1)} in ${current?.name ?? '…'}`}
      actions={
        mayWrite && !uploading && current?.bucket ? (
          <button type="button" className="primary" onClick={() => setUploading(true)}>
            Upload {kind.slice(0, -1)}
          </button>
        ) : null
      }
    >
      <form className="filters" onSubmit={search} role="search" aria-label={`Search ${kind}`}>
        <label>
          Registry
          <select value={registry} onChange={(e) => setRegistry(e.target.value)}>
            {(registries.data?.items ?? []).map((r) => (
              <option key={r.path} value={r.path}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Name starts with
          <input name="name" defaultValue={filters.name} />
        </label>
        <label>
          Tag (k or k=v)
          <input name="tag" defaultValue={filters.tag} />
        </label>
        <label>
          Sort
          <select name="sort" defaultValue={filters.sort}>
            <option value="name">Name</option>
            <option value="-updated">Recently updated</option>
            <option value="-created">Recently created</option>
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      {mayWrite && current && !current.bucket && (
        <p className="muted">
          {current.name} keeps its content on the server, not in a bucket: browsers cannot upload to it. Use{' '}
          <code>arca {kind.slice(0, -1)} push</code>, or a registry with an S3 bucket.
        </p>
      )}
      {uploading && current && (
        <Upload
          kind={kind}
          registry={current.path}
          onDone={() => {
            setUploading(false);
            list.reload();
          }}
        />
      )}
      <ErrorNote error={registries.error ?? list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && (
        <>
          <Table caption={kind} head={['Name', 'Latest version', 'Description', 'Tags', 'Updated']}>
            {list.data.items.map((a) => (
              <tr key={a.name} data-asset={a.name}>
                <td>
                  <Link to={`/${kind}/${encodeURIComponent(a.registry)}/${encodeURIComponent(a.name)}`}>
                    {a.name}
                  </Link>
                </td>
                <td>{a.latestVersion ?? '—'}</td>
                <td>{a.description}</td>
                <td>
                  {Object.entries(a.tags).map(([k, v]) => (
                    <span key={k} className="badge">
                      {v ? `${k}=${v}` : k}
                    </span>
                  ))}
                </td>
                <td>{new Date(a.updatedAt).toLocaleString()}</td>
              </tr>
            ))}
          </Table>
          {list.data.items.length === 0 && <p>No {kind} here yet.</p>}
          <Pager
            page={pages.page}
            hasNext={!!list.data.next}
            onPrevious={pages.previous}
            onNext={() => list.data?.next && pages.next(list.data.next)}
          />
        </>
      )}
    </Section>
  );
}
