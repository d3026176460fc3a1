import { useState, type FormEvent } from 'react';
import { can, useMe } from '../permissions';
import { api } from '../session';
import { ConfirmButton, ErrorNote, Loading, Pager, Section, Table, useAsync } from '../ui';

const pageSize = 50;

interface Entry {
  container_registry_id: string;
  container_registry_name?: string;
  container_registry_public_url?: string;
  container_registry_tags?: string[];
  [key: string]: unknown;
}

interface Health {
  checked_at: string;
  status: 'up' | 'down';
  status_code: number | null;
  latency_ms: number | null;
  reason: string | null;
  error: string | null;
}

const template = JSON.stringify(
  {
    container_registry_id: 'my-registry',
    container_registry_name: 'My registry',
    container_registry_public_url: 'https://registry.example.com',
    container_registry_tags: ['team'],
  },
  null,
  2,
);

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`);
  }
}

/** The AIOS container-registry catalog: entries paged by the server, health history, onboard/edit/delete/check. */
export default function Catalog() {
  const me = useMe();
  const mayWrite = can(me, 'catalog/write');
  const [skip, setSkip] = useState(0);
  const [filter, setFilter] = useState('');
  const list = useAsync(() => {
    const q = new URLSearchParams({ limit: String(pageSize), skip: String(skip) });
    if (filter) q.set('filter', filter);
    return api<{ items: Entry[]; next: number | null }>('GET', `/catalog/entries?${q}`);
  }, [skip, filter]);
  const [editing, setEditing] = useState<Entry | 'new' | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();

  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get('name') ?? '').trim();
    setSkip(0);
    setFilter(name ? JSON.stringify({ container_registry_name: { $regex: name } }) : '');
  };

  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const text = String(new FormData(event.currentTarget).get('document') ?? '');
    setError(undefined);
    try {
      if (editing === 'new') await api('POST', '/catalog/entries', parse(text));
      else if (editing)
        await api(
          'PATCH',
          `/catalog/entries/${encodeURIComponent(editing.container_registry_id)}`,
          parse(text),
        );
      setEditing(null);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section
      title="Catalog entries"
      actions={
        mayWrite && editing === null ? (
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            Onboard a registry
          </button>
        ) : null
      }
    >
      <form className="filters" role="search" aria-label="Search the catalog" onSubmit={search}>
        <label>
          Name contains
          <input name="name" />
        </label>
        <button type="submit">Search</button>
      </form>
      {editing !== null && (
        <form
          className="panel"
          onSubmit={save}
          aria-label={editing === 'new' ? 'Onboard a registry' : `Edit ${editing.container_registry_id}`}
        >
          <label className="wide">
            {editing === 'new' ? 'Entry (JSON)' : 'Update (JSON, e.g. {"$set": {...}})'}
            <textarea
              name="document"
              rows={8}
              className="mono"
              defaultValue={
                editing === 'new'
                  ? template
                  : JSON.stringify(
                      { $set: { container_registry_name: editing.container_registry_name ?? '' } },
                      null,
                      2,
                    )
              }
            />
          </label>
          <div className="actions">
            <button type="submit" className="primary">
              Save
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <ErrorNote error={error ?? list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && (
        <>
          <Table caption="Catalog entries" head={['ID', 'Name', 'Public URL', 'Tags', 'Actions']}>
            {list.data.items.map((e) => (
              <tr key={e.container_registry_id}>
                <td className="mono">{e.container_registry_id}</td>
                <td>{e.container_registry_name ?? ''}</td>
                <td className="mono">{e.container_registry_public_url ?? ''}</td>
                <td>
                  {(e.container_registry_tags ?? []).map((t) => (
                    <span key={t} className="badge">
                      {t}
                    </span>
                  ))}
                </td>
                <td>
                  <div className="row-actions">
                    <button
                      type="button"
                      aria-pressed={open === e.container_registry_id}
                      onClick={() => setOpen(e.container_registry_id)}
                      aria-label={`Health of ${e.container_registry_id}`}
                    >
                      Health
                    </button>
                    {mayWrite && (
                      <>
                        <button
                          type="button"
                          onClick={() => setEditing(e)}
                          aria-label={`Edit ${e.container_registry_id}`}
                        >
                          Edit
                        </button>
                        <ConfirmButton
                          label="Delete"
                          question={`Remove ${e.container_registry_id} from the catalog?`}
                          onConfirm={() =>
                            api(
                              'DELETE',
                              `/catalog/entries/${encodeURIComponent(e.container_registry_id)}`,
                            ).then(list.reload, setError)
                          }
                        />
                      </>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </Table>
          {list.data.items.length === 0 && <p>No entries.</p>}
          <Pager
            page={Math.floor(skip / pageSize)}
            hasNext={list.data.next !== null}
            onPrevious={() => setSkip((s) => Math.max(0, s - pageSize))}
            onNext={() => list.data?.next != null && setSkip(list.data.next)}
          />
        </>
      )}
      {open && <HealthHistory id={open} />}
    </Section>
  );
}

function HealthHistory({ id }: { id: string }) {
  const path = `/catalog/entries/${encodeURIComponent(id)}/health`;
  const history = useAsync(
    () => api<{ latest: Health | null; history: Health[] }>('GET', `${path}?limit=20`),
    [id],
  );
  const [error, setError] = useState<unknown>();
  return (
    <Section
      title={`Health of ${id}`}
      actions={
        <button type="button" onClick={() => api('POST', path).then(history.reload, setError)}>
          Check now
        </button>
      }
    >
      <ErrorNote error={error ?? history.error} />
      {history.data && (
        <Table caption={`Health checks of ${id}`} head={['When', 'Status', 'HTTP', 'Latency', 'Why']}>
          {history.data.history.map((h, i) => (
            <tr key={i}>
              <td>{new Date(h.checked_at).toLocaleString()}</td>
              <td className={h.status === 'up' ? 'state-Active' : 'state-Error'}>{h.status}</td>
              <td>{h.status_code ?? '—'}</td>
              <td>{h.latency_ms === null ? '—' : `${h.latency_ms} ms`}</td>
              <td>{h.error ?? h.reason ?? ''}</td>
            </tr>
          ))}
        </Table>
      )}
      {history.data?.history.length === 0 && <p>Not checked yet.</p>}
    </Section>
  );
}
