import { useState, type FormEvent } from 'react';
import { api } from '../session';
import { ConfirmButton, ErrorNote, Section, Table, useAsync, useLocalPage } from '../ui';
import { Roles, Assignments } from './AccessRoles';
import { ServiceAccounts } from './ServiceAccounts';

const tabs = ['Users', 'Groups', 'Service accounts', 'Roles', 'Assignments'] as const;

/** Users, groups, service accounts and API keys, roles and assignments: everything `access/manage` allows. */
export default function Access() {
  const [tab, setTab] = useState<(typeof tabs)[number]>('Users');
  return (
    <>
      <div className="tabs" role="group" aria-label="Access sections">
        {tabs.map((t) => (
          <button key={t} type="button" aria-pressed={tab === t} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </div>
      {tab === 'Users' && <Users />}
      {tab === 'Groups' && <Groups />}
      {tab === 'Service accounts' && <ServiceAccounts />}
      {tab === 'Roles' && <Roles />}
      {tab === 'Assignments' && <Assignments />}
    </>
  );
}

export function formData(event: FormEvent<HTMLFormElement>): (k: string) => string {
  event.preventDefault();
  const f = new FormData(event.currentTarget);
  return (k) => String(f.get(k) ?? '').trim();
}

interface User {
  name: string;
  disabled: boolean;
  groups: string[];
  created_at: string | null;
}

function Users() {
  const list = useAsync(() => api<{ items: User[] }>('GET', '/users'), []);
  const page = useLocalPage(list.data?.items);
  const [error, setError] = useState<unknown>();
  const run = (p: Promise<unknown>) => p.then(list.reload, setError);
  const create = (event: FormEvent<HTMLFormElement>) => {
    const get = formData(event);
    const form = event.currentTarget;
    run(api('POST', '/users', { name: get('name'), password: get('password') }).then(() => form.reset()));
  };
  return (
    <Section title="Users">
      <form className="panel" onSubmit={create} aria-label="Add user">
        <label>
          User name
          <input name="name" required />
        </label>
        <label>
          Initial password
          <input name="password" type="password" required autoComplete="new-password" />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Add user
          </button>
        </div>
      </form>
      <ErrorNote error={error ?? list.error} />
      <Table caption="Users" head={['Name', 'State', 'Groups', 'Actions']}>
        {page.rows.map((u) => (
          <tr key={u.name}>
            <td>{u.name}</td>
            <td>{u.disabled ? 'Disabled' : 'Active'}</td>
            <td>{u.groups.join(', ')}</td>
            <td>
              <div className="row-actions">
                <button
                  type="button"
                  onClick={() =>
                    run(api('PATCH', `/users/${encodeURIComponent(u.name)}`, { disabled: !u.disabled }))
                  }
                >
                  {u.disabled ? 'Enable' : 'Disable'} <span className="sr-only">{u.name}</span>
                </button>
                <ConfirmButton
                  label="Delete"
                  question={`Delete user ${u.name}?`}
                  onConfirm={() => run(api('DELETE', `/users/${encodeURIComponent(u.name)}`))}
                />
              </div>
            </td>
          </tr>
        ))}
      </Table>
      {page.pager}
    </Section>
  );
}

interface Group {
  name: string;
  description: string;
  members: { kind: string; name: string }[];
}

function Groups() {
  const list = useAsync(() => api<{ items: Group[] }>('GET', '/groups'), []);
  const page = useLocalPage(list.data?.items);
  const [error, setError] = useState<unknown>();
  const run = (p: Promise<unknown>) => p.then(list.reload, setError);
  const create = (event: FormEvent<HTMLFormElement>) => {
    const get = formData(event);
    run(api('POST', '/groups', { name: get('name'), description: get('description') }));
  };
  const addMember = (group: string) => (event: FormEvent<HTMLFormElement>) => {
    const get = formData(event);
    run(
      api('POST', `/groups/${encodeURIComponent(group)}/members`, { kind: get('kind'), name: get('member') }),
    );
  };
  return (
    <Section title="Groups">
      <form className="panel" onSubmit={create} aria-label="Add group">
        <label>
          Group name
          <input name="name" required />
        </label>
        <label>
          Description
          <input name="description" />
        </label>
        <div className="actions">
          <button type="submit" className="primary">
            Add group
          </button>
        </div>
      </form>
      <ErrorNote error={error ?? list.error} />
      <Table caption="Groups" head={['Name', 'Description', 'Members', 'Actions']}>
        {page.rows.map((g) => (
          <tr key={g.name}>
            <td>{g.name}</td>
            <td>{g.description}</td>
            <td>
              {g.members.map((m) => (
                <div key={`${m.kind}/${m.name}`}>
                  {m.name} <span className="muted">({m.kind})</span>{' '}
                  <button
                    type="button"
                    aria-label={`Remove ${m.name} from ${g.name}`}
                    onClick={() =>
                      run(
                        api(
                          'DELETE',
                          `/groups/${encodeURIComponent(g.name)}/members/${m.kind}/${encodeURIComponent(m.name)}`,
                        ),
                      )
                    }
                  >
                    Remove
                  </button>
                </div>
              ))}
              <form className="filters" onSubmit={addMember(g.name)} aria-label={`Add a member to ${g.name}`}>
                <label>
                  Kind
                  <select name="kind">
                    <option value="user">user</option>
                    <option value="service-account">service account</option>
                  </select>
                </label>
                <label>
                  Member
                  <input name="member" required />
                </label>
                <button type="submit">Add</button>
              </form>
            </td>
            <td>
              <ConfirmButton
                label="Delete"
                question={`Delete group ${g.name}?`}
                onConfirm={() => run(api('DELETE', `/groups/${encodeURIComponent(g.name)}`))}
              />
            </td>
          </tr>
        ))}
      </Table>
      {page.pager}
    </Section>
  );
}
