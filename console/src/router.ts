// Hash routing: every console view is /console/#/<path>, so the server serves one page for all of
// them and a reload or a shared link lands on the same view.
import { useEffect, useState } from 'preact/hooks';

export function currentPath(): string {
  const hash = location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : '/';
}

export function navigate(path: string): void {
  location.hash = path;
}

export function href(path: string): string {
  return `#${path}`;
}

/** The current path, updated on every hash change. */
export function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const onChange = () => setPath(currentPath());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return path;
}

export interface RouteMatch {
  params: Record<string, string>;
  query: URLSearchParams;
}

/** Matches a path such as /projects/123?tab=x against a pattern such as /projects/:id. */
export function matchRoute(pattern: string, path: string): RouteMatch | undefined {
  const [pathname = '', search = ''] = path.split('?');
  const want = pattern.split('/');
  const got = pathname.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith(':')) {
      if (!g) return undefined;
      // A malformed escape (#/projects/%E0) names no page: not found, rather than a blank console.
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) {
      return undefined;
    }
  }
  return { params, query: new URLSearchParams(search) };
}
