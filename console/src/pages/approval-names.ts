// The queue names projects and credentials by id; people read names. Each id is looked up once
// (a project by anyone who may read it, a credential by the catalog's readers); one that cannot
// be read stays shown by its id.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must } from '../api.ts';

export interface Names {
  project(id: string): string | undefined;
  credential(id: string): string | undefined;
}

type Kind = 'project' | 'credential';

async function lookUp(kind: Kind, id: string): Promise<string | undefined> {
  try {
    if (kind === 'project') return (await must(api.GET('/v1/projects/{id}', { params: { path: { id } } }))).name;
    return (await must(api.GET('/v1/cloud-credentials/{id}', { params: { path: { id } } }))).display_name;
  } catch {
    return undefined;
  }
}

export function useNames(wanted: Array<{ project: string; credential: string }>): Names {
  const [known, setKnown] = useState<ReadonlyMap<string, string | undefined>>(new Map());
  const asked = useRef(new Set<string>());
  const ids = wanted.flatMap((w) => [`project:${w.project}`, `credential:${w.credential}`]);
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    for (const entry of new Set(ids)) {
      if (asked.current.has(entry)) continue;
      asked.current.add(entry);
      const [kind, id] = entry.split(':') as [Kind, string];
      void lookUp(kind, id).then((name) => setKnown((m) => new Map(m).set(entry, name)));
    }
  }, [key]);
  return {
    project: (id) => known.get(`project:${id}`),
    credential: (id) => known.get(`credential:${id}`),
  };
}
