import type { Page, PageRequest } from '../core/pagination.ts';
import { parseLimit } from '../core/pagination.ts';
import type { Deps } from './composition.ts';
import type { ApiRequest, ApiResult } from './http.ts';

/**
 * Serves one page of a list: reads `cursor` and `limit`, opens the cursor against a binding of
 * (caller, route, filters) so it cannot be replayed by someone else or on another query, and
 * seals the next one.
 */
export async function listResponse<T, V>(
  req: ApiRequest & { subject?: { userId: string } },
  d: Deps,
  fetch: (page: PageRequest) => Promise<Page<T>>,
  view: (item: T) => V,
): Promise<ApiResult> {
  const limit = parseLimit(req.query.limit);
  const filters = Object.entries(req.query)
    .filter(([k]) => k !== 'cursor' && k !== 'limit')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const binding = `${req.subject?.userId ?? 'anonymous'}|${req.routeKey}|${req.path}|${filters}`;
  const afterId = req.query.cursor ? await d.cursors.open(req.query.cursor, binding) : undefined;
  const page = await fetch(afterId ? { limit, afterId } : { limit });
  const body: { items: V[]; next_cursor?: string } = { items: page.items.map(view) };
  if (page.lastId) body.next_cursor = await d.cursors.seal(page.lastId, binding);
  return { status: 200, body };
}
