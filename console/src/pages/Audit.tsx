import { useState, type FormEvent } from 'react';
import { api } from '../session';
import { ErrorNote, Loading, Pager, Section, Table, useAsync, useCursorPages } from '../ui';

interface Entry {
  id: string;
  at: string | null;
  actor: string | null;
  action: string;
  resource: string | null;
  method: string | null;
  path: string | null;
  outcome: string;
  status: number | null;
  remote: string | null;
}

/** The audit log, newest first, paged by the server and filtered there. */
export default function Audit() {
  const [filters, setFilters] = useState<Record<string, string>>({});
  const pages = useCursorPages(JSON.stringify(filters));
  const list = useAsync(() => {
    const q = new URLSearchParams({ limit: '50', ...filters });
    if (pages.cursor) q.set('cursor', pages.cursor);
    return api<{ items: Entry[]; next: string | null }>('GET', `/audit?${q}`);
  }, [JSON.stringify(filters), pages.cursor]);
  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const next: Record<string, string> = {};
    for (const k of ['actor', 'action', 'outcome']) {
      const v = String(f.get(k) ?? '').trim();
      if (v) next[k] = v;
    }
    setFilters(next);
  };
  return (
    <Section title="Events">
      <form className="filters" role="search" aria-label="Filter the audit log" onSubmit={search}>
        <label>
          Actor
          <input name="actor" />
        </label>
        <label>
          Action
          <input name="action" />
        </label>
        <label>
          Outcome
          <select name="outcome" defaultValue="">
            <option value="">any</option>
            <option>success</option>
            <option>failure</option>
            <option>denied</option>
            <option>unauthorized</option>
            <option>throttled</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorNote error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && (
        <>
          <Table caption="Audit log" head={['When', 'Actor', 'Action', 'Resource', 'Outcome', 'Request']}>
            {list.data.items.map((e) => (
              <tr key={e.id}>
                <td>{e.at ? new Date(e.at).toLocaleString() : '—'}</td>
                <td>{e.actor ?? '—'}</td>
                <td className="mono">{e.action}</td>
                <td className="mono">{e.resource ?? ''}</td>
                <td className={e.outcome === 'success' ? 'state-Active' : 'state-Error'}>{e.outcome}</td>
                <td className="mono">
                  {e.method} {e.path} {e.status ?? ''} {e.remote ? `from ${e.remote}` : ''}
                </td>
              </tr>
            ))}
          </Table>
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
