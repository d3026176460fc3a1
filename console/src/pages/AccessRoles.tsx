import { useState, type FormEvent } from 'react';
import { api } from '../session';
import { ConfirmButton, ErrorNote, Section, Table, useAsync, useLocalPage } from '../ui';
import { formData } from './Access';

interface Role {
  name: string;
  description: string;
  permissions: string[];
  builtin: boolean;
}

interface Assignment {
  id: string;
  role: string;
  principal: { kind: string; name: string };
  scope: string;
  created_at: string | null;
  created_by: string | null;
}

export function Roles() {
  const list = useAsync(() => api<{ items: Role[] }>('GET', '/roles'), []);
  const permissions = useAsync(
    () => api<{ items: { name: string; description: string }[] }>('GET', '/permissions'),
    [],
  );
  const [error, setError] = useState<unknown>();
  const run = (p: Promise<unknown>) => p.then(list.reload, setError);
  const create = (event: FormEvent<HTMLFormElement>) => {
    const f = new FormData(event.currentTarget);
    const get = formData(event);
    run(
      api('POST', '/roles', {
        name: get('name'),
        description: get('description'),
        permissions: f.getAll('permission').map(String),
      }),
    );
  };
  return (
    <Section title="Roles">
      <form className="panel" onSubmit={create} aria-label="Add role">
        <label>
          Role name
          <input name="name" required />
        </label>
        <label>
          Description
          <input name="description" />
        </label>
        <fieldset>
          <legend>Permissions</legend>
          {(permissions.data?.items ?? []).map((p) => (
            <label className="check" key={p.name}>
              <input type="checkbox" name="permission" value={p.name} />
              <span>
                <code>{p.name}</code> <span className="muted">{p.description}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary">
            Add role
          </button>
        </div>
      </form>
      <ErrorNote error={error ?? list.error} />
      <Table caption="Roles" head={['Name', 'Description', 'Permissions', '']}>
        {(list.data?.items ?? []).map((r) => (
          <tr key={r.name}>
            <td>
              {r.name} {r.builtin && <span className="badge">built-in</span>}
            </td>
            <td>{r.description}</td>
            <td className="mono">{r.permissions.join(', ')}</td>
            <td>
              {!r.builtin && (
                <ConfirmButton
                  label="Delete"
                  question={`Delete role ${r.name}?`}
                  onConfirm={() => run(api('DELETE', `/roles/${encodeURIComponent(r.name)}`))}
                />
              )}
            </td>
          </tr>
        ))}
      </Table>
    </Section>
  );
}

export function Assignments() {
  const list = useAsync(() => api<{ items: Assignment[] }>('GET', '/role-assignments'), []);
  const roles = useAsync(() => api<{ items: Role[] }>('GET', '/roles'), []);
  const page = useLocalPage(list.data?.items);
  const [error, setError] = useState<unknown>();
  const run = (p: Promise<unknown>) => p.then(list.reload, setError);
  const create = (event: FormEvent<HTMLFormElement>) => {
    const get = formData(event);
    run(
      api('POST', '/role-assignments', {
        role: get('role'),
        principal: { kind: get('kind'), name: get('principal') },
        scope: get('scope') || '/',
      }),
    );
  };
  return (
    <Section title="Role assignments">
      <form className="panel" onSubmit={create} aria-label="Assign a role">
        <label>
          Role
          <select name="role" required>
            {(roles.data?.items ?? []).map((r) => (
              <option key={r.name}>{r.name}</option>
            ))}
          </select>
        </label>
        <label>
          Principal kind
          <select name="kind">
            <option value="user">user</option>
            <option value="group">group</option>
            <option value="service-account">service account</option>
          </select>
        </label>
        <label>
          Principal name
          <input name="principal" required />
        </label>
        <label>
          Scope (/, /namespaces/ns or /registries/name)
          <input name="scope" placeholder="/" />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Assign
          </button>
        </div>
      </form>
      <ErrorNote error={error ?? list.error} />
      <Table caption="Role assignments" head={['Role', 'Principal', 'Scope', 'Created', '']}>
        {page.rows.map((a) => (
          <tr key={a.id}>
            <td>{a.role}</td>
            <td>
              {a.principal.name} <span className="muted">({a.principal.kind})</span>
            </td>
            <td className="mono">{a.scope}</td>
            <td>
              {a.created_at ?? '—'} {a.created_by ? `by ${a.created_by}` : ''}
            </td>
            <td>
              <ConfirmButton
                label="Remove"
                question={`Remove ${a.role} from ${a.principal.name}?`}
                onConfirm={() => run(api('DELETE', `/role-assignments/${encodeURIComponent(a.id)}`))}
              />
            </td>
          </tr>
        ))}
      </Table>
      {page.pager}
    </Section>
  );
}
