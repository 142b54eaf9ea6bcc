// How a Resource is named on screen: its kind and the end of its id ("node-5c2e91ab"), short
// enough to read aloud and to type when confirming its deletion.
import type { Schemas } from '../../../client/broker.ts';
import { href } from '../router.ts';

type Named = Pick<Schemas['ResourceView'], 'id' | 'kind'>;

/** kind-shortid: the kind, then the id's last eight hex digits (its random part). */
export function resourceName(r: Named): string {
  return `${r.kind}-${r.id.replace(/-/g, '').slice(-8)}`;
}

export function ResourceLink(props: { resource: Named }) {
  return <a href={href(`/resources/${props.resource.id}`)}>{resourceName(props.resource)}</a>;
}
