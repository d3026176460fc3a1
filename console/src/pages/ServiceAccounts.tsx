import { useState, type FormEvent } from 'react';
import { api } from '../session';
import { ConfirmButton, CopyText, ErrorNote, Section, Table, useAsync, useLocalPage } from '../ui';
import { formData } from './Access';

interface ServiceAccount {
  name: string;
  description: string;
  disabled: boolean;
  groups: string[];
}

interface ApiKey {
  id: string;
  name: string;
  status: string;
  created_at: string | null;
  expires_at: string | null;
  last_used_at: string | null;
}

export function ServiceAccounts() {
  const list = useAsync(() => api<{ items: ServiceAccount[] }>('GET', '/service-accounts'), []);
  const page = useLocalPage(list.data?.items);
  const [error, setError] = useState<unknown>();
  const [keysOf, setKeysOf] = useState<string | null>(null);
  const run = (p: Promise<unknown>) => p.then(list.reload, setError);
  const create = (event: FormEvent<HTMLFormElement>) => {
    const get = formData(event);
    run(api('POST', '/service-accounts', { name: get('name'), description: get('description') }));
  };
  return (
    <Section title="Service accounts">
      <form className="panel" onSubmit={create} aria-label="Add service account">
        <label>
          Service account name
          <input name="name" required />
        </label>
        <label>
          Description
          <input name="description" />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Add service account
          </button>
        </div>
      </form>
      <ErrorNote error={error ?? list.error} />
      <Table caption="Service accounts" head={['Name', 'Description', 'State', 'Actions']}>
        {page.rows.map((s) => (
          <tr key={s.name}>
            <td>{s.name}</td>
            <td>{s.description}</td>
            <td>{s.disabled ? 'Disabled' : 'Active'}</td>
            <td>
              <div className="row-actions">
                <button
                  type="button"
                  aria-pressed={keysOf === s.name}
                  onClick={() => setKeysOf(s.name)}
                  aria-label={`API keys of ${s.name}`}
                >
                  API keys
                </button>
                <ConfirmButton
                  label="Delete"
                  question={`Delete service account ${s.name}?`}
                  onConfirm={() => run(api('DELETE', `/service-accounts/${encodeURIComponent(s.name)}`))}
                />
              </div>
            </td>
          </tr>
        ))}
      </Table>
      {page.pager}
      {keysOf && <ApiKeys account={keysOf} />}
    </Section>
  );
}

/** A new key's secret is shown once, here, and never again (the server keeps only its hash). */
function ApiKeys({ account }: { account: string }) {
  const base = `/service-accounts/${encodeURIComponent(account)}/api-keys`;
  const list = useAsync(() => api<{ items: ApiKey[] }>('GET', base), [base]);
  const [error, setError] = useState<unknown>();
  const [shown, setShown] = useState<string | null>(null);
  const create = (event: FormEvent<HTMLFormElement>) => {
    const get = formData(event);
    const days = Number(get('days'));
    api<{ key: string }>('POST', base, {
      name: get('name'),
      ...(days > 0 ? { expires_in: days * 86_400 } : {}),
    }).then((k) => {
      setShown(k.key);
      list.reload();
    }, setError);
  };
  return (
    <Section title={`API keys of ${account}`}>
      <form className="panel" onSubmit={create} aria-label={`New API key for ${account}`}>
        <label>
          Key name
          <input name="name" />
        </label>
        <label>
          Expires after (days, empty for never)
          <input name="days" type="number" min="1" />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Create API key
          </button>
        </div>
      </form>
      {shown && (
        <div className="secret" role="alert">
          <p>Copy this key now: it is shown only once.</p>
          <CopyText text={shown} label="API key" />
          <button type="button" onClick={() => setShown(null)}>
            I have copied it
          </button>
        </div>
      )}
      <ErrorNote error={error ?? list.error} />
      <Table
        caption={`API keys of ${account}`}
        head={['ID', 'Name', 'Status', 'Created', 'Expires', 'Last used', '']}
      >
        {(list.data?.items ?? []).map((k) => (
          <tr key={k.id}>
            <td className="mono">{k.id}</td>
            <td>{k.name}</td>
            <td>{k.status}</td>
            <td>{k.created_at ?? '—'}</td>
            <td>{k.expires_at ?? 'never'}</td>
            <td>{k.last_used_at ?? '—'}</td>
            <td>
              {k.status === 'active' && (
                <ConfirmButton
                  label="Revoke"
                  question={`Revoke key ${k.id}?`}
                  onConfirm={() => api('DELETE', `${base}/${k.id}`).then(list.reload, setError)}
                />
              )}
            </td>
          </tr>
        ))}
      </Table>
    </Section>
  );
}
