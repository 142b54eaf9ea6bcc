// Long lists read page by page (the broker's cursor pages), with "Load more", and a reload that
// keeps as many pages as are shown so a live refresh never shortens the list under the reader.
import { useRef } from 'preact/hooks';
import { useLoad } from '../ui/async.ts';

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
}

export const PAGE_SIZE = 50;

export function usePaged<T>(fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>, deps: unknown[]): Paged<T> {
  const wanted = useRef({ key: '', pages: 1 });
  const key = JSON.stringify(deps);
  if (wanted.current.key !== key) wanted.current = { key, pages: 1 };
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
    items: loaded.data?.items,
    error: loaded.error,
    loading: loaded.loading,
    more: loaded.data?.more ?? false,
    loadMore: async () => {
      wanted.current.pages++;
      await loaded.reload();
    },
    reload: loaded.reload,
  };
}

/** "Load more" under a list while the broker has more; says when it is fetching. */
export function LoadMore(props: { paged: Paged<unknown>; what: string }) {
  const { paged } = props;
  if (!paged.more) return null;
  return (
    <p class="load-more">
      <button type="button" disabled={paged.loading} onClick={() => void paged.loadMore()}>
        {paged.loading ? 'Loading…' : `Load more ${props.what}`}
      </button>
    </p>
  );
}
