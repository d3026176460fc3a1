import { useState } from 'react';
import { can, canAnywhere, useMe } from '../permissions';
import { api, ApiError } from '../session';
import type { LocationReplication, Registry } from '../types';
import { ConfirmButton, ErrorNote, formatBytes, Loading, Section, Table, useAsync } from '../ui';
import { RegistryForm } from './RegistryForm';

/** LLMOS's Registries page: State (with the probe's reason), Name, Endpoint, Bucket, Default. */
export default function Registries() {
  const me = useMe();
  const list = useAsync(() => api<{ items: Registry[] }>('GET', '/registries'), []);
  const [editing, setEditing] = useState<Registry | 'new' | null>(null);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const mayCreate = canAnywhere(me, 'registries/write');

  const act = async (what: () => Promise<unknown>, done: string) => {
    setError(undefined);
    setNotice('');
    try {
      await what();
      setNotice(done);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };

  const remove = async (r: Registry, force: boolean) => {
    setError(undefined);
    try {
      await api('DELETE', `/registries/${encodeURIComponent(r.name)}${force ? '?force=true' : ''}`);
      setNotice(`Registry ${r.name} deleted.`);
      list.reload();
    } catch (err) {
      if (
        err instanceof ApiError &&
        err.code === 'REGISTRY_NOT_EMPTY' &&
        can(me, 'registries/delete', where(r))
      ) {
        setForceable({ registry: r, message: err.message });
      } else setError(err);
    }
  };
  const [forceable, setForceable] = useState<{ registry: Registry; message: string } | null>(null);

  return (
    <>
      <Section
        title="All registries"
        actions={
          mayCreate && editing === null ? (
            <button type="button" className="primary" onClick={() => setEditing('new')}>
              Create registry
            </button>
          ) : null
        }
      >
        {editing !== null && (
          <RegistryForm
            registry={editing === 'new' ? null : editing}
            onDone={(message) => {
              setEditing(null);
              if (message) setNotice(message);
              list.reload();
            }}
          />
        )}
        <p role="status" className="muted">
          {notice}
        </p>
        <ErrorNote error={error ?? list.error} />
        {forceable && (
          <div className="panel" role="alert">
            <p className="wide">{forceable.message}</p>
            <div className="actions">
              <ConfirmButton
                label={`Delete ${forceable.registry.name} and everything in it`}
                question="This deletes its repositories and assets. Continue?"
                onConfirm={async () => {
                  const r = forceable.registry;
                  setForceable(null);
                  await remove(r, true);
                }}
              />
              <button type="button" onClick={() => setForceable(null)}>
                Keep it
              </button>
            </div>
          </div>
        )}
        <Loading when={list.loading && !list.data} />
        {list.data && (
          <Table
            caption="Registries"
            head={['State', 'Name', 'Endpoint', 'Bucket', 'Default', 'Locations', 'Actions']}
          >
            {list.data.items.map((r) => (
              <tr key={r.name} data-registry={r.name}>
                <td>
                  <span className={`state-${r.state}`}>{r.state}</span>
                  {r.state_reason && <div className="muted">{r.state_reason}</div>}
                </td>
                <td>
                  <strong>{r.name}</strong>
                  {r.description && <div className="muted">{r.description}</div>}
                </td>
                <td className="mono">{r.endpoint ?? '—'}</td>
                <td className="mono">{r.bucket ?? '—'}</td>
                <td>{r.default ? 'Yes' : 'No'}</td>
                <td>
                  <Locations registry={r} />
                </td>
                <td>
                  <div className="row-actions">
                    <button
                      type="button"
                      onClick={() =>
                        act(
                          () => api('POST', `/registries/${encodeURIComponent(r.name)}/probe`),
                          `Registry ${r.name} checked.`,
                        )
                      }
                    >
                      Check
                    </button>
                    {can(me, 'registries/write', where(r)) && (
                      <>
                        <button type="button" onClick={() => setEditing(r)} aria-label={`Edit ${r.name}`}>
                          Edit
                        </button>
                        {!r.default && (
                          <button
                            type="button"
                            aria-label={`Set ${r.name} as default`}
                            onClick={() =>
                              act(
                                () => api('POST', `/registries/${encodeURIComponent(r.name)}/default`),
                                `${r.name} is now the default registry.`,
                              )
                            }
                          >
                            Set as Default
                          </button>
                        )}
                      </>
                    )}
                    {can(me, 'registries/delete', where(r)) && (
                      <ConfirmButton
                        label="Delete"
                        question={`Delete registry ${r.name}?`}
                        onConfirm={() => remove(r, false)}
                      />
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </Table>
        )}
        {list.data && list.data.items.length === 0 && <p>No registries you may see.</p>}
      </Section>
    </>
  );
}

function where(r: Registry) {
  return { registry: r.path, namespace: r.namespace };
}

/**
 * A registry's primary and additional locations, each with what replication reports for it (blobs
 * and bytes held, copies pending, lag, last error): the registry's own view carries it, the list
 * does not, so a registry with additional locations is asked for it.
 */
function Locations({ registry: r }: { registry: Registry }) {
  const status = useAsync(
    () =>
      r.locations.length === 0
        ? Promise.resolve(undefined)
        : api<Registry>('GET', `/registries/${encodeURIComponent(r.name)}`).then((v) => v.replication),
    [r.name, r.locations.join(',')],
  );
  const of = (location: string) => status.data?.find((s) => s.location === location);
  return (
    <>
      <div>
        <span className="badge">primary</span>
        {r.backend ? 'its own bucket' : r.primary_location}
        <Replication state={of(r.primary_location)} />
      </div>
      {r.locations.map((l) => (
        <div key={l} data-location={l}>
          <span className="badge">additional</span>
          {l}
          <Replication state={of(l)} pending={status.loading} />
        </div>
      ))}
    </>
  );
}

function Replication({ state, pending }: { state?: LocationReplication; pending?: boolean }) {
  if (!state) return pending ? <span className="muted"> (…)</span> : null;
  const lag = state.pending_copies > 0 ? `, ${state.pending_copies} pending, lag ${state.lag_seconds} s` : '';
  return (
    <div className="muted">
      {state.blobs} blobs, {formatBytes(state.bytes)}
      {state.role === 'additional' && (state.pending_copies > 0 ? lag : ', in sync')}
      {state.last_error && <div className="error">last error: {state.last_error}</div>}
    </div>
  );
}
