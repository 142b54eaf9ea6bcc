// The events table: one row per event with its seq, its time (absolute and relative), its type in
// words, what it is about (a link where the console has a page for it), the project, who did it,
// and a one-line summary of its data.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must } from '../api.ts';
import type { DomainEvent } from '../live.ts';
import { href } from '../router.ts';
import { useSession } from '../session.ts';
import { dateTime, relative } from '../ui/format.ts';
import { type Column, Table } from '../ui/kit.tsx';
import { eventSummary, typeWords } from './event-words.ts';

/** Project names by id, read once and again when an event names a project not seen yet (best effort: ids stand in). */
export function useProjectNames(domainId: string, events: DomainEvent[]): Map<string, string> {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const asked = useRef<Set<string> | undefined>(undefined);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  useEffect(() => {
    const fresh = events.flatMap((e) => (e.project_id && !asked.current?.has(e.project_id) ? [e.project_id] : []));
    if (asked.current && !fresh.length) return;
    asked.current ??= new Set();
    for (const id of fresh) asked.current.add(id);
    void (async () => {
      try {
        const got = await must(api.GET('/v1/projects', { params: { query: { domain_id: domainId, limit: 200 } } }));
        if (mounted.current) setNames(new Map(got.items.map((p) => [p.id, p.name])));
      } catch {
        // Someone who may read the events but not list the projects sees project ids instead.
      }
    })();
  }, [domainId, events]);
  return names;
}

function Subject(props: { event: DomainEvent }) {
  const { kind, id } = props.event.subject;
  if (kind === 'resource') {
    return (
      <a href={href(`/resources/${id}`)}>
        Resource <code>{id}</code>
      </a>
    );
  }
  if (kind === 'project') {
    return (
      <a href={href(`/projects/${id}`)}>
        Project <code>{id}</code>
      </a>
    );
  }
  return (
    <span>
      Assignment <code>{id}</code>
    </span>
  );
}

export function EventTable(props: { events: DomainEvent[]; names: Map<string, string>; now: number; caption: string; empty: string }) {
  const { user } = useSession();
  const columns: Column<DomainEvent>[] = [
    { header: 'Seq', cell: (e) => <span class="event-seq">{e.seq}</span> },
    {
      header: 'When',
      cell: (e) => (
        <>
          <time dateTime={e.at}>{dateTime(e.at)}</time>
          <span class="event-ago">{relative(e.at, props.now)}</span>
        </>
      ),
    },
    {
      header: 'Event',
      cell: (e) => (
        <>
          <strong>{typeWords(e.type)}</strong>
          <code class="event-type">{e.type}</code>
        </>
      ),
    },
    { header: 'Subject', cell: (e) => <Subject event={e} /> },
    {
      header: 'Project',
      cell: (e) =>
        e.project_id ? <a href={href(`/projects/${e.project_id}`)}>{props.names.get(e.project_id) ?? <code>{e.project_id}</code>}</a> : '—',
    },
    {
      header: 'Actor',
      cell: (e) => (e.actor ? e.actor.id === user.subject ? 'You' : <code>{e.actor.id}</code> : <span class="event-ago">The broker</span>),
    },
    { header: 'Summary', cell: (e) => <span class="event-summary">{eventSummary(e) || '—'}</span> },
  ];
  return <Table caption={props.caption} rows={props.events} columns={columns} rowKey={(e) => e.id} empty={props.empty} />;
}
