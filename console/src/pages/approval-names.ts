// The queue names projects and credentials by id; people read names. Each id is looked up once
// it is read (a project by anyone who may read it, a credential by the catalog's readers); one that
// cannot be read stays shown by its id, and is asked again on a later render, at most every 30 s
// (a failure is not remembered as "no name").
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must } from '../api.ts';

export interface Names {
  project(id: string): string | undefined;
  credential(id: string): string | undefined;
}

type Kind = 'project' | 'credential';

const RETRY_AFTER_MS = 30_000;

async function lookUp(kind: Kind, id: string): Promise<string> {
  if (kind === 'project') return (await must(api.GET('/v1/projects/{id}', { params: { path: { id } } }))).name;
  return (await must(api.GET('/v1/cloud-credentials/{id}', { params: { path: { id } } }))).display_name;
}

export function useNames(wanted: Array<{ project: string; credential: string }>): Names {
  const [known, setKnown] = useState<ReadonlyMap<string, string>>(new Map());
  /** Looked up or being looked up: the time asked; a failed one is asked again after RETRY_AFTER_MS. */
  const asked = useRef(new Map<string, { at: number; failed: boolean }>());
  const ids = [...new Set(wanted.flatMap((w) => [`project:${w.project}`, `credential:${w.credential}`]))];
  // Every render (the queue renders on its reloads, not on a timer): cheap when all are known.
  useEffect(() => {
    const now = Date.now();
    for (const entry of ids) {
      const before = asked.current.get(entry);
      if (before && !(before.failed && now - before.at >= RETRY_AFTER_MS)) continue;
      const mark = { at: now, failed: false };
      asked.current.set(entry, mark);
      const [kind, id] = entry.split(':') as [Kind, string];
      lookUp(kind, id).then(
        (name) => setKnown((m) => new Map(m).set(entry, name)),
        () => {
          mark.failed = true;
          mark.at = Date.now();
        },
      );
    }
  });
  return {
    project: (id) => known.get(`project:${id}`),
    credential: (id) => known.get(`credential:${id}`),
  };
}
