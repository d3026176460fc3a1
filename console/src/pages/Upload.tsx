import { useState, type FormEvent } from 'react';
import { fileDigest } from '../sha256';
import { api, ApiError } from '../session';
import { ErrorNote, formatBytes } from '../ui';

interface Item {
  file: File;
  path: string;
  sent: number;
  state: string;
}

/** The folder's relative path of a file picked with a directory input (its top folder dropped). */
function relativePath(file: File): string {
  const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
  const parts = rel.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : rel;
}

function parseSpec(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`spec: not valid JSON: ${(err as Error).message}`);
  }
}

/** PUT the bytes to the presigned URL; XHR because fetch reports no upload progress. */
function put(url: string, file: File, onProgress: (sent: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new Error(`the bucket answered ${xhr.status}`));
    xhr.onerror = () => reject(new Error('the bucket could not be reached (network or CORS)'));
    xhr.send(file);
  });
}

/**
 * A folder from the browser straight to the registry's bucket: each file hashed here, PUT to a
 * presigned URL, verified and linked by the server; then one publish makes the version.
 */
export function Upload({ kind, registry, onDone }: { kind: string; registry: string; onDone: () => void }) {
  const [items, setItems] = useState<Item[]>([]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState('');
  const total = items.reduce((n, i) => n + i.file.size, 0);
  const sent = items.reduce((n, i) => n + i.sent, 0);

  const pick = (files: FileList | null) =>
    setItems(
      Array.from(files ?? [], (file) => ({ file, path: relativePath(file), sent: 0, state: 'waiting' })),
    );

  const update = (index: number, change: Partial<Item>) =>
    setItems((all) => all.map((item, i) => (i === index ? { ...item, ...change } : item)));

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const f = new FormData(event.currentTarget);
    const get = (k: string) => String(f.get(k) ?? '').trim();
    const name = get('name');
    const repository = `${kind}/${name}`;
    const base = `/registries/${encodeURIComponent(registry)}`;
    setBusy(true);
    setError(undefined);
    try {
      if (get('spec')) parseSpec(get('spec'));
      const files: { path: string; digest: string; size: number }[] = [];
      for (const [index, item] of items.entries()) {
        update(index, { state: 'hashing' });
        const digest = await fileDigest(item.file);
        update(index, { state: 'uploading' });
        const started = await api<{ id: string; url: string }>('POST', `${base}/browser-uploads`, {
          repository,
        });
        await put(started.url, item.file, (n) => update(index, { sent: n }));
        update(index, { state: 'verifying', sent: item.file.size });
        await api('POST', `${base}/browser-uploads/${encodeURIComponent(started.id)}/complete`, {
          repository,
          digest,
        });
        update(index, { state: 'done' });
        files.push({ path: item.path, digest, size: item.file.size });
      }
      setStatus('Publishing the version…');
      const card: Record<string, unknown> = {};
      if (get('card')) card.description = get('card');
      if (get('license')) card.metadata = { license: get('license') };
      await api('POST', `${base}/${kind}/${encodeURIComponent(name)}/versions`, {
        version: get('version'),
        description: get('description'),
        ...(Object.keys(card).length > 0 ? { card } : {}),
        ...(get('spec') ? { spec: parseSpec(get('spec')) } : {}),
        files,
      });
      setStatus(`Version ${get('version')} of ${name} published.`);
      onDone();
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err : new Error(String(err)));
      setStatus('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel" onSubmit={submit} aria-label={`Upload a ${kind.slice(0, -1)}`}>
      <h3 className="wide">
        Upload a {kind.slice(0, -1)} to {registry}
      </h3>
      <label>
        Name
        <input
          name="name"
          required
          pattern="[a-z0-9]+([._\-][a-z0-9]+)*"
          title="lowercase letters and digits, . _ - between them"
        />
      </label>
      <label>
        Version
        <input name="version" required defaultValue="1" pattern="[A-Za-z0-9_][A-Za-z0-9._\-]{0,127}" />
      </label>
      <label className="wide">
        Description
        <input name="description" />
      </label>
      <label className="wide">
        Card
        <textarea name="card" rows={3} placeholder="What it is, how it was made, how to use it" />
      </label>
      <label className="wide">
        Spec (JSON, the kind's Azure fields{kind === 'environments' ? ': image, build or conda_file' : ''})
        <textarea
          name="spec"
          rows={kind === 'environments' || kind === 'components' ? 3 : 1}
          className="mono"
        />
      </label>
      <label>
        License
        <input name="license" placeholder="apache-2.0" />
      </label>
      <label>
        Folder
        <input
          type="file"
          name="folder"
          required
          multiple
          onChange={(e) => pick(e.target.files)}
          {...({ webkitdirectory: '', directory: '' } as Record<string, string>)}
        />
      </label>
      {items.length > 0 && (
        <div className="wide" aria-label="Upload progress">
          <div className="progress-row">
            <span>All files ({items.length})</span>
            <progress aria-label="All files" value={sent} max={total || 1} />
            <span>
              {formatBytes(sent)} / {formatBytes(total)}
            </span>
          </div>
          {items.map((item) => (
            <div className="progress-row" key={item.path}>
              <span className="mono">{item.path}</span>
              <progress aria-label={item.path} value={item.sent} max={item.file.size || 1} />
              <span>{item.state}</span>
            </div>
          ))}
        </div>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy || items.length === 0}>
          Upload and publish
        </button>
        <button type="button" onClick={onDone} disabled={busy}>
          Cancel
        </button>
        <span role="status">{status}</span>
      </div>
      <div className="wide">
        <ErrorNote error={error} />
      </div>
    </form>
  );
}
