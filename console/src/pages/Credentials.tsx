import { useState, type FormEvent } from 'react';
import { can, useMe } from '../permissions';
import { api } from '../session';
import type { Credential } from '../types';
import { ConfirmButton, ErrorNote, Loading, Section, Table, useAsync } from '../ui';

const fields: Record<string, { name: string; label: string; secret?: boolean; optional?: boolean }[]> = {
  DATA: [
    { name: 'access_key_id', label: 'Access key ID' },
    { name: 'access_key', label: 'Secret access key', secret: true },
    { name: 'endpoint', label: 'Endpoint (https://…)', optional: true },
    { name: 'region', label: 'Region', optional: true },
  ],
  REGISTRY: [
    { name: 'registry', label: 'Registry (host or https URL)' },
    { name: 'username', label: 'Username', optional: true },
    { name: 'auth', label: 'Password or token', secret: true },
  ],
};

/** Stored credentials, masked as the server shows them; set, test and delete. Secrets are write-only. */
export default function Credentials() {
  const me = useMe();
  const mayWrite = can(me, 'credentials/write');
  const list = useAsync(() => api<{ items: Credential[] }>('GET', '/credentials'), []);
  const [adding, setAdding] = useState(false);
  const [type, setType] = useState('DATA');
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState('');

  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const payload: Record<string, string> = {};
    for (const field of fields[type] ?? []) {
      const v = String(f.get(field.name) ?? '').trim();
      if (v) payload[field.name] = v;
    }
    setError(undefined);
    try {
      await api('PUT', `/credentials/${encodeURIComponent(String(f.get('name') ?? ''))}`, { type, payload });
      setAdding(false);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  const test = async (name: string) => {
    setResult('');
    try {
      const r = await api<{ ok: boolean; message: string }>(
        'POST',
        `/credentials/${encodeURIComponent(name)}/test`,
      );
      setResult(`${name}: ${r.ok ? 'works' : 'failed'}: ${r.message}`);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <Section
      title="Credentials"
      actions={
        mayWrite && !adding ? (
          <button type="button" className="primary" onClick={() => setAdding(true)}>
            Add credential
          </button>
        ) : null
      }
    >
      {adding && (
        <form className="panel" onSubmit={save} aria-label="Add credential">
          <label>
            Name
            <input name="name" required />
          </label>
          <label>
            Type
            <select value={type} onChange={(e) => setType(e.target.value)}>
              <option value="DATA">DATA (a bucket)</option>
              <option value="REGISTRY">REGISTRY (another registry)</option>
            </select>
          </label>
          {(fields[type] ?? []).map((field) => (
            <label key={field.name}>
              {field.label}
              <input
                name={field.name}
                type={field.secret ? 'password' : 'text'}
                required={!field.optional}
                autoComplete="off"
              />
            </label>
          ))}
          <div className="actions">
            <button type="submit" className="primary">
              Save
            </button>
            <button type="button" onClick={() => setAdding(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <p role="status">{result}</p>
      <ErrorNote error={error ?? list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data && (
        <Table caption="Credentials" head={['Name', 'Type', 'Payload (masked)', 'Actions']}>
          {list.data.items.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td>{c.type}</td>
              <td className="mono">
                {Object.entries(c.payload ?? {}).map(([k, v]) => (
                  <div key={k}>
                    {k}: {String(v)}
                  </div>
                ))}
              </td>
              <td>
                <div className="row-actions">
                  <button type="button" onClick={() => void test(c.name)} aria-label={`Test ${c.name}`}>
                    Test
                  </button>
                  {mayWrite && (
                    <ConfirmButton
                      label="Delete"
                      question={`Delete credential ${c.name}?`}
                      onConfirm={() =>
                        api('DELETE', `/credentials/${encodeURIComponent(c.name)}`).then(
                          list.reload,
                          setError,
                        )
                      }
                    />
                  )}
                </div>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </Section>
  );
}
