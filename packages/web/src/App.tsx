/** The shell: who is signed in, the navigation, the workspace switcher, and one lazily loaded page per route. */
import { type ComponentType, lazy, type ReactNode, Suspense, useCallback, useEffect, useState } from 'react';
import { ApiError, api, errorText, get, onUnauthorized, post, type Role } from './api';
import { Link, match, navigate, useLocation } from './router';
import { Alert, Field, Loading, type Session, SessionContext } from './ui';

type Page = ComponentType<{ params: Record<string, string> }>;
const page = (load: () => Promise<{ default: Page }>) => lazy(load);

/** Each page's address, and its label when the main navigation links to it. */
const ROUTES: { pattern: string; component: Page; nav?: string }[] = [
  { pattern: '/', component: page(() => import('./pages/Overview')), nav: 'Overview' },
  { pattern: '/agents', component: page(() => import('./pages/Agents')), nav: 'Agents' },
  { pattern: '/agents/:id', component: page(() => import('./pages/AgentDetail')) },
  { pattern: '/calls', component: page(() => import('./pages/Calls')), nav: 'Calls' },
  { pattern: '/calls/:id', component: page(() => import('./pages/CallDetail')) },
  { pattern: '/live', component: page(() => import('./pages/Live')), nav: 'Live calls' },
  { pattern: '/campaigns', component: page(() => import('./pages/Campaigns')), nav: 'Campaigns' },
  { pattern: '/campaigns/:id', component: page(() => import('./pages/CampaignDetail')) },
  { pattern: '/providers', component: page(() => import('./pages/Providers')), nav: 'Providers' },
  {
    pattern: '/knowledge-bases',
    component: page(() => import('./pages/KnowledgeBases')),
    nav: 'Knowledge bases',
  },
  { pattern: '/knowledge-bases/:id', component: page(() => import('./pages/KnowledgeBaseDetail')) },
  { pattern: '/numbers', component: page(() => import('./pages/Numbers')), nav: 'Phone numbers' },
  { pattern: '/webhooks', component: page(() => import('./pages/Webhooks')), nav: 'Webhooks' },
  {
    pattern: '/home-assistant',
    component: page(() => import('./pages/HomeAssistant')),
    nav: 'Home Assistant',
  },
  { pattern: '/api-keys', component: page(() => import('./pages/ApiKeys')), nav: 'API keys' },
  { pattern: '/users', component: page(() => import('./pages/Users')), nav: 'Users' },
];

const NAV = ROUTES.flatMap((r) => (r.nav ? [{ href: r.pattern, label: r.nav }] : []));

type State =
  | { kind: 'loading' }
  | { kind: 'failed'; message: string }
  | { kind: 'anonymous'; setupNeeded: boolean }
  | { kind: 'signed-in'; session: Session };

interface Me {
  kind: string;
  workspaceId: string;
  role: Role;
  email: string | null;
}

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const load = useCallback(async () => {
    try {
      const me = await api<Me>('GET', '/auth/me', undefined, { quiet401: true });
      const ws = await get<{ data: Session['workspaces'] }>('/workspaces');
      setState({
        kind: 'signed-in',
        session: { role: me.role, email: me.email, workspaceId: me.workspaceId, workspaces: ws.data },
      });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        try {
          const s = await get<{ needed: boolean }>('/setup');
          setState({ kind: 'anonymous', setupNeeded: s.needed });
        } catch (e2) {
          setState({ kind: 'failed', message: errorText(e2) });
        }
      } else setState({ kind: 'failed', message: errorText(e) });
    }
  }, []);
  useEffect(() => {
    void load();
    return onUnauthorized(() => setState({ kind: 'anonymous', setupNeeded: false }));
  }, [load]);

  if (state.kind === 'loading') return <Loading what="the dashboard" />;
  if (state.kind === 'failed') return <Alert>{state.message}</Alert>;
  if (state.kind === 'anonymous') {
    return state.setupNeeded ? <SetupPage onDone={load} /> : <LoginPage onDone={load} />;
  }
  return (
    <SessionContext.Provider value={state.session}>
      <Shell session={state.session} reload={load} />
    </SessionContext.Provider>
  );
}

function Shell({ session, reload }: { session: Session; reload: () => Promise<void> }) {
  const { path } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  let content: ReactNode = <NotFound />;
  for (const r of ROUTES) {
    const params = match(r.pattern, path);
    if (params) {
      const C = r.component;
      content = <C params={params} />;
      break;
    }
  }
  const switchTo = async (workspaceId: string) => {
    await post('/auth/switch', { workspaceId });
    navigate('/', { replace: true });
    await reload();
  };
  const [creating, setCreating] = useState(false);
  const [newName, setNewName] = useState('');
  const [wsError, setWsError] = useState<string | null>(null);
  const createWorkspace = async () => {
    try {
      const w = await post<{ id: string }>('/workspaces', { name: newName });
      setCreating(false);
      setNewName('');
      setWsError(null);
      await switchTo(w.id);
    } catch (e) {
      setWsError(errorText(e));
    }
  };
  const logout = async () => {
    await post('/auth/logout').catch(() => {});
    navigate('/', { replace: true });
    await reload();
  };
  const current = (href: string) =>
    href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <span className="brand">Switchboard</span>
        <label className="ws-switch">
          <span className="sr-only">Workspace</span>
          <select
            aria-label="Workspace"
            value={session.workspaceId}
            onChange={(e) => void switchTo(e.target.value)}
          >
            {session.workspaces.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          New workspace
        </button>
        {creating ? (
          <form
            className="new-ws"
            onSubmit={(e) => {
              e.preventDefault();
              void createWorkspace();
            }}
          >
            <label>
              <span className="sr-only">New workspace name</span>
              <input
                aria-label="New workspace name"
                required
                value={newName}
                onChange={(e) => setNewName(e.target.value)}
              />
            </label>
            <button type="submit">Create</button>
            {wsError ? (
              <span className="inline-error" role="alert">
                {wsError}
              </span>
            ) : null}
          </form>
        ) : null}
        <span className="who" title={session.email ?? ''}>
          {session.email} <span className="badge">{session.role}</span>
        </span>
        <button type="button" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <nav id="nav" className={menuOpen ? 'open' : ''} aria-label="Main">
        <ul>
          {NAV.map((n) => (
            <li key={n.href}>
              <Link
                href={n.href}
                aria-current={current(n.href) ? 'page' : undefined}
                onClick={() => setMenuOpen(false)}
              >
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<Loading />}>{content}</Suspense>
      </main>
    </div>
  );
}

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        No page here. <Link href="/">Go to the overview</Link>.
      </p>
    </>
  );
}

function LoginPage({ onDone }: { onDone: () => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Log in · Switchboard';
  }, []);
  return (
    <main id="main" className="auth-page">
      <h1>Log in to Switchboard</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            await post('/auth/login', { email, password });
            await onDone();
          } catch (err) {
            setError(errorText(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Alert>{error}</Alert>
        <AccountFields email={email} password={password} setEmail={setEmail} setPassword={setPassword} />
        <button type="submit" className="primary" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}

function SetupPage({ onDone }: { onDone: () => Promise<void> }) {
  const { query } = useLocation();
  const [form, setForm] = useState({
    token: query.get('token') ?? '',
    email: '',
    password: '',
    workspaceName: '',
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    document.title = 'Set up · Switchboard';
  }, []);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm({ ...form, [k]: e.target.value });
  const err = (k: string) => (errors[k] ? [errors[k]] : []);
  return (
    <main id="main" className="auth-page">
      <h1>Create the owner account</h1>
      <p>
        The first start printed a one-time setup token in the terminal (it is in the link it printed, too).
        Paste it here with the email and password you want to log in with.
      </p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setErrors({});
          setError(null);
          try {
            await post('/setup', {
              token: form.token.trim(),
              email: form.email,
              password: form.password,
              ...(form.workspaceName.trim() ? { workspaceName: form.workspaceName.trim() } : {}),
            });
            navigate('/', { replace: true });
            await onDone();
          } catch (err) {
            if (err instanceof ApiError && err.details.length) {
              setErrors(
                Object.fromEntries(err.details.map((d) => [d.path.replace(/^body\./, ''), d.message])),
              );
            }
            setError(errorText(err));
          }
        }}
      >
        <Alert>{error}</Alert>
        <Field label="Setup token" errors={err('token')}>
          {(p) => <input {...p} required autoComplete="off" value={form.token} onChange={set('token')} />}
        </Field>
        <AccountFields
          email={form.email}
          password={form.password}
          setEmail={(email) => setForm({ ...form, email })}
          setPassword={(password) => setForm({ ...form, password })}
          newPassword
          errors={{ email: err('email'), password: err('password') }}
        />
        <Field label="Workspace name (optional)" errors={err('workspaceName')}>
          {(p) => <input {...p} value={form.workspaceName} onChange={set('workspaceName')} />}
        </Field>
        <button type="submit" className="primary">
          Create owner and log in
        </button>
      </form>
    </main>
  );
}

/** Email and password, for logging in or for a new account (which gets the password rule as a hint). */
function AccountFields({
  email,
  password,
  setEmail,
  setPassword,
  newPassword = false,
  errors = {},
}: {
  email: string;
  password: string;
  setEmail: (v: string) => void;
  setPassword: (v: string) => void;
  newPassword?: boolean;
  errors?: { email?: string[]; password?: string[] };
}) {
  return (
    <>
      <Field label="Email" errors={errors.email}>
        {(p) => (
          <input
            {...p}
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        )}
      </Field>
      <Field
        label="Password"
        hint={newPassword ? '12 characters or more' : undefined}
        errors={errors.password}
      >
        {(p) => (
          <input
            {...p}
            type="password"
            autoComplete={newPassword ? 'new-password' : 'current-password'}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
    </>
  );
}
