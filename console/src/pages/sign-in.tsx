// The console's sign-in: email and password against the domain's password binding. The broker
// answers with the HttpOnly session cookie and the CSRF cookie; the console keeps nothing else.
import { useState } from 'preact/hooks';
import { api, must } from '../api.ts';
import { useAction } from '../ui/async.ts';
import { FormButtons, ProblemMessage, TextField } from '../ui/kit.tsx';

const DOMAIN_KEY = 'plexsphere.console.domain_id';

/** The domain to sign in to: ?domain_id= in the page's address, else the last one used here. */
function initialDomain(): string {
  const fromUrl = new URLSearchParams(location.search).get('domain_id');
  if (fromUrl) return fromUrl;
  try {
    return localStorage.getItem(DOMAIN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function SignIn(props: { onSignedIn: () => void; notice?: string }) {
  const [domainId, setDomainId] = useState(initialDomain);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useAction(async () => {
    await must(api.POST('/v1/auth/sign-in', { body: { domain_id: domainId.trim(), email, password } }));
    try {
      // Not a secret: only which domain this browser signs in to, to spare typing it again.
      localStorage.setItem(DOMAIN_KEY, domainId.trim());
    } catch {
      // Storage may be disabled; the field is then asked for each time.
    }
    props.onSignedIn();
  });
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to the Plexsphere console</h1>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void signIn.run();
        }}
      >
        <TextField
          label="Domain ID"
          name="domain_id"
          required
          value={domainId}
          autocomplete="off"
          spellcheck={false}
          hint="Your organisation's domain id (npm run -s dev-ids prints it on the local stack)."
          onValue={setDomainId}
        />
        <TextField label="Email" name="email" type="email" required autocomplete="username" value={email} onValue={setEmail} />
        <TextField
          label="Password"
          name="password"
          type="password"
          required
          autocomplete="current-password"
          value={password}
          onValue={setPassword}
        />
        <ProblemMessage error={signIn.error} prefix="Not signed in:" />
        <FormButtons label="Sign in" busyLabel="Signing in…" busy={signIn.busy} tone="primary" />
      </form>
    </main>
  );
}
