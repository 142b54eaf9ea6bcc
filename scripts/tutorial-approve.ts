// Approves a device code over HTTP as a seeded identity, as the sign-in page would (for trying
// plexctl login by hand without a browser): tsx scripts/tutorial-approve.ts <url> <user code> <email>
import { signInSession } from '../test/support/sign-in.ts';

const [url, userCode, email] = process.argv.slice(2);
if (!url || !userCode || !email) throw new Error('usage: tutorial-approve.ts <url> <user code> <email>');
const { cookie, csrf } = await signInSession(url, email, 'password');
const res = await fetch(`${url}/v1/auth/device/approve`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', cookie, 'x-plexsphere-csrf': csrf },
  body: JSON.stringify({ user_code: userCode }),
});
console.log(res.status, await res.text());
