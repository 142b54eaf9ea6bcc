// Lists that may run past one page (a domain's projects, a project's Resources): the first page
// at once, the next ones on "Show more", and a live reload that keeps what is shown meanwhile.
import { useRef } from 'preact/hooks';
import { type Loaded, useLoad } from '../ui/async.ts';

export interface PageOf<T> {
  items: T[];
  next_cursor?: string;
}

export const PAGE_SIZE = 200;

export interface Paged<T> extends Loaded<{ items: T[]; more: boolean }> {
  showMore: () => void;
}

export function usePaged<T>(fetchPage: (cursor: string | undefined) => Promise<PageOf<T>>, deps: unknown[]): Paged<T> {
  const pages = useRef(1);
  const loaded = useLoad(async () => {
    const items: T[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < pages.current; i++) {
      const page = await fetchPage(cursor);
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return { items, more: cursor !== undefined };
  }, deps);
  return {
    ...loaded,
    showMore: () => {
      pages.current++;
      void loaded.reload();
    },
  };
}

export function ShowMore(props: { paged: Paged<unknown>; what: string }) {
  if (!props.paged.data?.more) return null;
  return (
    <button type="button" onClick={props.paged.showMore} disabled={props.paged.loading}>
      {props.paged.loading ? 'Loading…' : `Show more ${props.what}`}
    </button>
  );
}
