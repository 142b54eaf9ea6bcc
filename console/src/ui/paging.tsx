// Long lists read page by page (the broker's cursor pages), with "Load more", and a reload that
// keeps as many pages as are shown so a live refresh never shortens the list under the reader.
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { useLoad } from './async.ts';
import { Loading, ProblemMessage } from './kit.tsx';

export interface CursorPage<T> {
  items: T[];
  next_cursor?: string;
}

export interface Paged<T> {
  items: T[] | undefined;
  error: unknown;
  loading: boolean;
  /** True when the broker has more after what is shown. */
  more: boolean;
  loadMore: () => Promise<void>;
  reload: () => Promise<void>;
  /** Shows an item changed here in place of its listed self at once, then reloads for the broker's word. */
  update: (item: T) => void;
}

export const PAGE_SIZE = 50;

export function usePaged<T extends { id: string }>(
  fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>,
  deps: unknown[],
): Paged<T> {
  // Another list (new deps) starts again from its first page.
  const wanted = useRef({ key: '', pages: 1 });
  const key = JSON.stringify(deps);
  if (wanted.current.key !== key) wanted.current = { key, pages: 1 };
  const [changed, setChanged] = useState<{ key: string; items: Record<string, T> }>({ key, items: {} });
  const shown = changed.key === key ? changed.items : {};
  const loaded = useLoad(async () => {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < wanted.current.pages; i++) {
      const page = await fetchPage(cursor);
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return { items, more: cursor !== undefined };
  }, deps);
  return {
    items: loaded.data?.items.map((x) => shown[x.id] ?? x),
    error: loaded.error,
    loading: loaded.loading,
    more: loaded.data?.more ?? false,
    loadMore: async () => {
      wanted.current.pages++;
      await loaded.reload();
    },
    reload: loaded.reload,
    update: (item) => {
      setChanged({ key, items: { ...shown, [item.id]: item } });
      void loaded.reload().then(() => setChanged({ key, items: {} }));
    },
  };
}

/**
 * "Load more" under a list while the broker has more; says when it is fetching. Busy, it keeps its
 * focus (aria-disabled, not disabled) and a press does nothing.
 */
export function LoadMore<T>(props: { paged: Paged<T>; what: string }) {
  const { paged } = props;
  if (!paged.more) return null;
  return (
    <p class="load-more">
      <button type="button" aria-disabled={paged.loading || undefined} onClick={() => void (paged.loading || paged.loadMore())}>
        {paged.loading ? 'Loading…' : `Load more ${props.what}`}
      </button>
    </p>
  );
}

/**
 * A paged list's section: the refusal in words, "Loading…" until the first pages come, then the
 * list (`children` draws it, usually as a Table) and "Load more". `what` names the items.
 */
export function PagedList<T>(props: { paged: Paged<T>; what: string; children: (items: T[]) => ComponentChildren }) {
  const { paged, what } = props;
  return (
    <>
      <ProblemMessage error={paged.error} prefix={`The ${what} could not be read:`} />
      {paged.items === undefined ? paged.loading && <Loading what={`the ${what}`} /> : props.children(paged.items)}
      <LoadMore paged={paged} what={what} />
    </>
  );
}
