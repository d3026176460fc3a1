import { useState, type FormEvent } from 'react';
import { can, useMe } from '../permissions';
import { api } from '../session';
import type { Credential, Registry } from '../types';
import { ErrorNote, useAsync } from '../ui';

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Create a registry (name, description, a configured location or an S3 bucket of its own over
 * HTTPS with a credential chosen or created here; additional locations) or edit one.
 */
export function RegistryForm({
  registry,
  onDone,
}: {
  registry: Registry | null;
  onDone: (message?: string) => void;
}) {
  const me = useMe();
  const [backend, setBackend] = useState<'location' | 's3'>('s3');
  const [credentialMode, setCredentialMode] = useState<'existing' | 'new'>('existing');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const mayReadCredentials = can(me, 'credentials/read');
  const mayWriteCredentials = can(me, 'credentials/write');
  const credentials = useAsync(
    () =>
      mayReadCredentials
        ? api<{ items: Credential[] }>('GET', '/credentials')
        : Promise.resolve({ items: [] }),
    [mayReadCredentials],
  );
  const dataCredentials = (credentials.data?.items ?? []).filter((c) => c.type === 'DATA');
  const mode =
    credentialMode === 'existing' && dataCredentials.length === 0 && mayWriteCredentials
      ? 'new'
      : credentialMode;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const get = (k: string) => String(f.get(k) ?? '').trim();
    setBusy(true);
    setError(undefined);
    try {
      if (registry) {
        const body: Record<string, unknown> = {
          description: get('description'),
          locations: list(get('locations')),
          anonymous_pull: f.get('anonymous_pull') === 'on',
        };
        if (registry.backend?.s3 && get('credential'))
          body.backend = { s3: { credential: get('credential') } };
        await api('PATCH', `/registries/${encodeURIComponent(registry.name)}`, body);
        onDone(`Registry ${registry.name} saved.`);
        return;
      }
      const body: Record<string, unknown> = {
        name: get('name'),
        description: get('description'),
        locations: list(get('locations')),
        anonymous_pull: f.get('anonymous_pull') === 'on',
      };
      if (backend === 'location') {
        if (get('primary_location')) body.primary_location = get('primary_location');
      } else {
        let credential = get('credential');
        if (mode === 'new') {
          credential = get('new_credential');
          await api('PUT', `/credentials/${encodeURIComponent(credential)}`, {
            type: 'DATA',
            payload: {
              access_key_id: get('access_key_id'),
              access_key: get('access_key'),
              endpoint: https(get('endpoint')),
            },
          });
        }
        body.backend = {
          s3: {
            endpoint: https(get('endpoint')),
            bucket: get('bucket'),
            region: get('region') || 'us-east-1',
            credential,
          },
        };
      }
      const created = await api<Registry>('POST', '/registries', body);
      onDone(
        `Registry ${created.name} created: ${created.state}${created.state_reason ? ` (${created.state_reason})` : ''}.`,
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="panel"
      onSubmit={submit}
      aria-label={registry ? `Edit registry ${registry.name}` : 'Create registry'}
    >
      <h3 className="wide">{registry ? `Edit ${registry.name}` : 'Create registry'}</h3>
      <label>
        Name
        <input
          name="name"
          required
          defaultValue={registry?.name}
          disabled={!!registry}
          pattern="[A-Za-z0-9][A-Za-z0-9_\-]{1,31}"
          title="2-32 letters, digits, _ and -"
        />
      </label>
      <label className="wide">
        Description
        <input name="description" defaultValue={registry?.description} />
      </label>
      {!registry && (
        <fieldset>
          <legend>Storage</legend>
          <label className="check">
            <input
              type="radio"
              name="backend"
              value="s3"
              checked={backend === 's3'}
              onChange={() => setBackend('s3')}
            />
            S3 bucket of its own
          </label>
          <label className="check">
            <input
              type="radio"
              name="backend"
              value="location"
              checked={backend === 'location'}
              onChange={() => setBackend('location')}
            />
            A location of the server (filesystem or configured bucket)
          </label>
          {backend === 'location' ? (
            <label>
              Primary location
              <input name="primary_location" placeholder="default" />
            </label>
          ) : (
            <>
              <label>
                Endpoint
                <input name="endpoint" required placeholder="https://s3.example.com" />
              </label>
              <label>
                Bucket
                <input name="bucket" required pattern="[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]" />
              </label>
              <label>
                Region
                <input name="region" placeholder="us-east-1" />
              </label>
              <label className="check">
                <input type="checkbox" name="https" checked disabled aria-describedby="https-note" />
                Use HTTPS
              </label>
              <p id="https-note" className="muted">
                Buckets are reached over HTTPS only.
              </p>
              <CredentialChoice
                mode={mode}
                setMode={setCredentialMode}
                names={dataCredentials.map((c) => c.name)}
                mayCreate={mayWriteCredentials}
              />
            </>
          )}
        </fieldset>
      )}
      {registry?.backend?.s3 && (
        <label>
          Credential
          <select name="credential" defaultValue={registry.backend.s3.credential}>
            {[
              registry.backend.s3.credential,
              ...dataCredentials.map((c) => c.name).filter((n) => n !== registry.backend?.s3?.credential),
            ].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      )}
      <label>
        Additional locations (comma-separated)
        <input name="locations" defaultValue={registry?.locations.join(', ')} />
      </label>
      <label className="check">
        <input type="checkbox" name="anonymous_pull" defaultChecked={registry?.anonymous_pull} />
        Anonymous pulls
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {registry ? 'Save' : 'Create'}
        </button>
        <button type="button" onClick={() => onDone()}>
          Cancel
        </button>
        {busy && <span role="status">Working…</span>}
      </div>
      <div className="wide">
        <ErrorNote error={error} />
      </div>
    </form>
  );
}

function CredentialChoice({
  mode,
  setMode,
  names,
  mayCreate,
}: {
  mode: 'existing' | 'new';
  setMode: (m: 'existing' | 'new') => void;
  names: string[];
  mayCreate: boolean;
}) {
  return (
    <>
      {mayCreate && (
        <label>
          Credential
          <select
            value={mode}
            onChange={(e) => setMode(e.target.value as 'existing' | 'new')}
            name="credential_mode"
          >
            <option value="existing" disabled={names.length === 0}>
              Use a stored credential
            </option>
            <option value="new">Create a new credential</option>
          </select>
        </label>
      )}
      {mode === 'existing' ? (
        <label>
          Stored credential
          {names.length > 0 ? (
            <select name="credential" required>
              {names.map((n) => (
                <option key={n}>{n}</option>
              ))}
            </select>
          ) : (
            <input name="credential" required />
          )}
        </label>
      ) : (
        <>
          <label>
            New credential name
            <input name="new_credential" required />
          </label>
          <label>
            Access key ID
            <input name="access_key_id" required autoComplete="off" />
          </label>
          <label>
            Secret access key
            <input name="access_key" type="password" required autoComplete="new-password" />
          </label>
        </>
      )}
    </>
  );
}

function https(endpoint: string): string {
  return /^https?:\/\//i.test(endpoint) ? endpoint.replace(/^http:/i, 'https:') : `https://${endpoint}`;
}
