// The console's shell: who is signed in (else the sign-in view), the navigation, and the view
// the address names.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, BrokerProblem, must, onSessionLost } from './api.ts';
import { ApprovalsPage } from './pages/approvals.tsx';
import { AuditPage } from './pages/audit.tsx';
import { BlueprintPage, CatalogPage, CloudPage } from './pages/catalog.tsx';
import { EventsPage } from './pages/events.tsx';
import { HomePage } from './pages/home.tsx';
import { NewResourcePage } from './pages/new-resource.tsx';
import { ProjectPage, ProjectsPage } from './pages/projects.tsx';
import { ResourcePage } from './pages/resource.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { href, matchRoute, type RouteMatch, usePath } from './router.ts';
import { SessionContext, type Whoami } from './session.ts';
import { Loading, Page, ProblemMessage } from './ui/kit.tsx';

interface View {
  pattern: string;
  render: (m: RouteMatch) => ComponentChildren;
}

const VIEWS: View[] = [
  { pattern: '/', render: () => <HomePage /> },
  { pattern: '/approvals', render: (m) => <ApprovalsPage query={m.query} /> },
  { pattern: '/catalog', render: () => <CatalogPage /> },
  { pattern: '/catalog/clouds/:id', render: (m) => <CloudPage id={m.params.id ?? ''} /> },
  { pattern: '/catalog/blueprints/:id', render: (m) => <BlueprintPage id={m.params.id ?? ''} /> },
  { pattern: '/projects', render: () => <ProjectsPage /> },
  { pattern: '/projects/:id', render: (m) => <ProjectPage id={m.params.id ?? ''} /> },
  { pattern: '/projects/:id/new-resource', render: (m) => <NewResourcePage projectId={m.params.id ?? ''} query={m.query} /> },
  { pattern: '/resources/:id', render: (m) => <ResourcePage id={m.params.id ?? ''} /> },
  { pattern: '/events', render: () => <EventsPage /> },
  { pattern: '/audit', render: () => <AuditPage /> },
];

const NAV = [
  { path: '/approvals', label: 'Approvals' },
  { path: '/catalog', label: 'Catalog' },
  { path: '/projects', label: 'Projects' },
  { path: '/events', label: 'Events' },
  { path: '/audit', label: 'Audit' },
];

function CurrentView(props: { path: string }) {
  for (const view of VIEWS) {
    const m = matchRoute(view.pattern, props.path);
    if (m) return <>{view.render(m)}</>;
  }
  return (
    <Page title="Not found">
      <p>
        The console has no page at <code>{props.path}</code>. <a href={href('/')}>Go to the start page</a>.
      </p>
    </Page>
  );
}

type Gate =
  | { state: 'checking' }
  | { state: 'signed-out'; notice?: string }
  | { state: 'signed-in'; user: Whoami }
  | { state: 'failed'; error: unknown };

export function App() {
  const path = usePath();
  const [gate, setGate] = useState<Gate>({ state: 'checking' });

  const check = useCallback(async () => {
    try {
      setGate({ state: 'signed-in', user: await must(api.GET('/v1/auth/whoami')) });
    } catch (err) {
      setGate(err instanceof BrokerProblem && err.status === 401 ? { state: 'signed-out' } : { state: 'failed', error: err });
    }
  }, []);

  useEffect(() => {
    void check();
    // A late 401 (a follower's read still on its way at sign-out) must not turn "You are signed
    // out." into "Your session has ended.": only a signed-in console loses its session.
    return onSessionLost(() =>
      setGate((g) => (g.state === 'signed-in' ? { state: 'signed-out', notice: 'Your session has ended. Sign in again to go on.' } : g)),
    );
  }, [check]);

  const [signOutError, setSignOutError] = useState<unknown>(undefined);
  const signOut = useCallback(async () => {
    setSignOutError(undefined);
    try {
      await must(api.DELETE('/v1/auth/whoami'));
    } catch (err) {
      // A session already gone (401) is signed out all the same; any other failure leaves it on.
      if (!(err instanceof BrokerProblem && err.status === 401)) {
        setSignOutError(err);
        return;
      }
    }
    setGate({ state: 'signed-out', notice: 'You are signed out.' });
  }, []);

  if (gate.state === 'checking') return <Loading what="the console" />;
  if (gate.state === 'failed') {
    return (
      <main id="main">
        <h1>The console cannot reach the broker</h1>
        <ProblemMessage error={gate.error} />
        <button type="button" onClick={() => void check()}>
          Try again
        </button>
      </main>
    );
  }
  if (gate.state === 'signed-out') return <SignIn notice={gate.notice} onSignedIn={() => void check()} />;

  const section = `/${path.split(/[/?]/)[1] ?? ''}`;
  return (
    <SessionContext.Provider value={{ user: gate.user, signOut }}>
      {/* A button, not a #main link: the address's hash is the console's route. */}
      <button type="button" class="skip" onClick={() => document.getElementById('page-title')?.focus()}>
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href={href('/')}>
          Plexsphere
        </a>
        <nav aria-label="Sections">
          <ul>
            {NAV.map((item) => (
              <li key={item.path}>
                <a
                  href={href(item.path)}
                  aria-current={section === item.path || (item.path === '/projects' && section === '/resources') ? 'page' : undefined}
                >
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>{gate.user.email}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <ProblemMessage error={signOutError} prefix="Signing out failed; the session is still open:" />
        <CurrentView path={path} />
      </main>
    </SessionContext.Provider>
  );
}
