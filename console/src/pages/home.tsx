import { href } from '../router.ts';
import { useSession } from '../session.ts';
import { Page } from '../ui/kit.tsx';

/** The start page: what each section is for, in one line each. */
export function HomePage() {
  const { user } = useSession();
  return (
    <Page title={`Welcome, ${user.display_name}`}>
      <ul class="cards">
        <li>
          <a href={href('/approvals')}>Approvals</a>
          <p>Requests to spend a credential you own: approve them with terms, or reject them.</p>
        </li>
        <li>
          <a href={href('/catalog')}>Catalog</a>
          <p>Clouds, their credentials and the blueprints the platform provisions from.</p>
        </li>
        <li>
          <a href={href('/projects')}>Projects</a>
          <p>Your projects, their credential requests and the Resources in them.</p>
        </li>
        <li>
          <a href={href('/events')}>Events</a>
          <p>Everything that happens in your domain, as it happens.</p>
        </li>
        <li>
          <a href={href('/audit')}>Audit</a>
          <p>Who asked for what and who decided, in a tamper-evident trail.</p>
        </li>
      </ul>
    </Page>
  );
}
