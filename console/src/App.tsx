import { lazy, Suspense, useEffect, useState, type ComponentType, type ReactElement } from 'react';
import { canAnywhere, MeContext, type Me, type Permission } from './permissions';
import { Link, navigate, usePath } from './router';
import { api, detectOpenServer, onSessionChange, signedIn, signOut } from './session';
import { SignIn } from './pages/SignIn';
import { ErrorNote, Loading } from './ui';

const Registries = lazy(() => import('./pages/Registries'));
const Assets = lazy(() => import('./pages/Assets'));
const AssetDetail = lazy(() => import('./pages/AssetDetail'));
const Repositories = lazy(() => import('./pages/Repositories'));
const Catalog = lazy(() => import('./pages/Catalog'));
const Credentials = lazy(() => import('./pages/Credentials'));
const Access = lazy(() => import('./pages/Access'));
const Audit = lazy(() => import('./pages/Audit'));

export const assetKinds = ['models', 'datasets', 'environments', 'components'] as const;

interface Page {
  path: string;
  title: string;
  needs: Permission;
}

const pages: Page[] = [
  { path: '/registries', title: 'Registries', needs: 'registries/read' },
  { path: '/models', title: 'Models', needs: 'registries/assets/read' },
  { path: '/datasets', title: 'Datasets', needs: 'registries/assets/read' },
  { path: '/environments', title: 'Environments', needs: 'registries/assets/read' },
  { path: '/components', title: 'Components', needs: 'registries/assets/read' },
  { path: '/repositories', title: 'Repositories', needs: 'registries/assets/read' },
  { path: '/catalog', title: 'Catalog', needs: 'catalog/read' },
  { path: '/credentials', title: 'Credentials', needs: 'credentials/read' },
  { path: '/access', title: 'Access', needs: 'access/manage' },
  { path: '/audit', title: 'Audit log', needs: 'access/manage' },
];

/** Which component shows a path, and with what. */
function route(path: string): { title: string; render: () => ReactElement } | null {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, ...rest] = parts;
  const simple: Record<string, [string, ComponentType]> = {
    registries: ['Registries', Registries],
    repositories: ['Repositories', Repositories],
    catalog: ['Catalog', Catalog],
    credentials: ['Credentials', Credentials],
    access: ['Access', Access],
    audit: ['Audit log', Audit],
  };
  if (first && simple[first] && rest.length === 0) {
    const [title, C] = simple[first];
    return { title, render: () => <C /> };
  }
  if (first && (assetKinds as readonly string[]).includes(first)) {
    const kind = first as (typeof assetKinds)[number];
    const title = kind[0]!.toUpperCase() + kind.slice(1);
    if (rest.length === 0) return { title, render: () => <Assets kind={kind} /> };
    if (rest.length === 2) {
      return {
        title: `${rest[1]} · ${title}`,
        render: () => <AssetDetail kind={kind} registry={rest[0]!} name={rest[1]!} />,
      };
    }
  }
  return null;
}

export function App() {
  const [session, setSession] = useState(signedIn());
  const [me, setMe] = useState<Me | null>(null);
  const [error, setError] = useState<unknown>();
  const path = usePath();

  const [probed, setProbed] = useState(signedIn());
  useEffect(() => onSessionChange(() => setSession(signedIn())), []);
  useEffect(() => {
    if (!probed) void detectOpenServer().finally(() => setProbed(true));
  }, [probed]);
  useEffect(() => {
    if (!session) {
      setMe(null);
      return;
    }
    api<Me>('GET', '/me').then(setMe, setError);
  }, [session]);

  const found = route(path);
  const title = found?.title ?? 'Arca';
  useEffect(() => {
    document.title = `${title} · Arca console`;
  }, [title]);
  useEffect(() => {
    if (me && (path === '/' || path === '')) navigate('/registries');
  }, [me, path]);

  if (!session && !probed) return <Loading when />;
  if (!session) return <SignIn />;
  if (!me) {
    return (
      <main id="main">
        <Loading when={!error} />
        <ErrorNote error={error} />
      </main>
    );
  }

  const visible = pages.filter((p) => canAnywhere(me, p.needs));
  return (
    <MeContext.Provider value={me}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Arca</span>
        <nav aria-label="Console sections">
          <ul>
            {visible.map((p) => (
              <li key={p.path}>
                <Link to={p.path} aria-current={path.startsWith(p.path) ? 'page' : undefined}>
                  {p.title}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          <span>{me.name ?? 'anonymous'}</span>
          {me.auth !== 'none' && (
            <button type="button" onClick={() => void signOut()}>
              Sign out
            </button>
          )}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <h1>{title}</h1>
        <Suspense fallback={<Loading when />}>
          {found ? found.render() : <p>Nothing here. Choose a section above.</p>}
        </Suspense>
      </main>
    </MeContext.Provider>
  );
}
