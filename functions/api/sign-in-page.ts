// The browser half of the device flow: one server-rendered page, plain HTML and CSS with a small
// script (allowed by a per-response CSP nonce, nothing else runs). Every value put into the page
// is escaped; the page holds no secret (the session cookie is HttpOnly).

export type SignInPageView =
  | { step: 'enter-code'; code?: string; error?: string }
  | { step: 'closed'; userCode: string; title: string; message: string }
  | {
      step: 'sign-in';
      userCode: string;
      domainId: string;
      domainName: string;
      bindingId: string;
      bindingLabel: string;
      /** Set when a live session of this domain already exists: the page opens on the approve step. */
      signedInAs?: { email: string; displayName: string };
    };

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (value: string) => value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** The page's Content-Security-Policy: only this response's nonce runs, fetches go to this origin only. */
export function signInPageCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: #f3f5f9; --card: #ffffff; --text: #1b2230; --muted: #5b6577; --border: #d5dae3;
  --accent: #2453d6; --accent-text: #ffffff; --danger: #b42318; --danger-bg: #fdecea;
  --ok: #1d7a46; --ok-bg: #e7f6ed; --focus: #8fb0ff;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #10141c; --card: #1a202b; --text: #e8ecf3; --muted: #a3adbf; --border: #2e3747;
    --accent: #6d93ff; --accent-text: #0b1020; --danger: #ff8a80; --danger-bg: #3a1d1d;
    --ok: #6fdc9a; --ok-bg: #15301f; --focus: #4667c7;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; min-height: 100vh; display: flex; align-items: flex-start; justify-content: center;
  background: var(--bg); color: var(--text); padding: 8vh 16px 32px;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { width: 100%; max-width: 420px; }
.brand { display: flex; align-items: center; gap: 10px; font-weight: 600; font-size: 18px; margin: 0 0 16px 4px; }
.brand svg { width: 28px; height: 28px; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 28px; box-shadow: 0 1px 3px rgb(0 0 0 / 6%); }
h1 { font-size: 22px; line-height: 1.3; margin: 0 0 8px; }
p { margin: 0 0 16px; }
.muted { color: var(--muted); font-size: 14px; }
.code-box { border: 1px dashed var(--border); border-radius: 8px; padding: 12px 14px; margin: 0 0 20px; }
.code-box .label { display: block; font-size: 13px; color: var(--muted); }
.code { font: 600 24px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: 0.12em; }
label { display: block; font-weight: 600; font-size: 14px; margin: 0 0 6px; }
.field { margin: 0 0 16px; }
input {
  width: 100%; font: inherit; color: inherit; background: transparent; padding: 10px 12px;
  border: 1px solid var(--border); border-radius: 8px;
}
input.code-input { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: 0.12em; text-transform: uppercase; }
input:focus, button:focus-visible, a:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; }
button {
  font: inherit; font-weight: 600; border-radius: 8px; padding: 10px 16px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); width: 100%;
}
button.secondary { background: transparent; color: var(--text); border-color: var(--border); }
button[disabled] { opacity: 0.6; cursor: progress; }
.actions { display: flex; gap: 12px; }
.actions button { flex: 1; }
.alert { border-radius: 8px; padding: 10px 12px; margin: 0 0 16px; font-size: 15px; }
.alert.error { background: var(--danger-bg); color: var(--danger); }
.alert.ok { background: var(--ok-bg); color: var(--ok); }
.link { background: none; border: 0; padding: 0; width: auto; color: var(--accent); font-weight: 400; text-decoration: underline; cursor: pointer; }
a { color: var(--accent); }
.foot { margin: 20px 0 0; font-size: 14px; color: var(--muted); }
.check { width: 40px; height: 40px; margin: 0 0 12px; color: var(--ok); }
`;

const LOGO = `<svg viewBox="0 0 32 32" aria-hidden="true"><circle cx="16" cy="16" r="14" fill="none" stroke="currentColor" stroke-width="2.5"/><circle cx="16" cy="16" r="5" fill="currentColor"/><path d="M4 16h7M21 16h7M16 4v7M16 21v7" stroke="currentColor" stroke-width="2.5"/></svg>`;
const CHECK = `<svg class="check" viewBox="0 0 40 40" aria-hidden="true"><circle cx="20" cy="20" r="18" fill="none" stroke="currentColor" stroke-width="3"/><path d="M12 20.5l5.5 5.5L29 14.5" fill="none" stroke="currentColor" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

// Runs in the browser. Messages are set with textContent only.
const SCRIPT = `
(function () {
  var root = document.getElementById('flow');
  if (!root) return;
  var data = root.dataset;
  var panels = ['sign-in', 'approve', 'done', 'denied'];

  function show(name) {
    panels.forEach(function (p) { document.getElementById('panel-' + p).hidden = p !== name; });
    var focus = document.querySelector('#panel-' + name + ' [data-autofocus]');
    if (focus) focus.focus();
  }
  function say(id, message) {
    var el = document.getElementById(id);
    el.textContent = message || '';
    el.hidden = !message;
  }
  function cookie(name) {
    var hit = document.cookie.split('; ').filter(function (c) { return c.indexOf(name + '=') === 0; })[0];
    return hit ? hit.slice(name.length + 1) : '';
  }
  function busy(button, on, label) {
    if (on) { button.dataset.label = button.textContent; button.textContent = label; }
    else if (button.dataset.label) { button.textContent = button.dataset.label; }
    button.disabled = on;
  }
  function post(path, body, headers) {
    var h = { 'content-type': 'application/json' };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(path, { method: 'POST', headers: h, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (payload) {
          return { status: res.status, body: payload, retryAfter: Number(res.headers.get('retry-after')) || 0 };
        });
      })
      .catch(function () { return { status: 0, body: {}, retryAfter: 0 }; });
  }
  var UNREACHABLE = 'Could not reach the server. Check your connection and try again.';

  var form = document.getElementById('sign-in-form');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var button = document.getElementById('sign-in-button');
    var email = document.getElementById('email').value.trim();
    var password = document.getElementById('password').value;
    if (!email || !password) { say('sign-in-error', 'Enter your email and password.'); return; }
    say('sign-in-error', '');
    busy(button, true, 'Signing in\u2026');
    post('sign-in', { domain_id: data.domainId, idp_binding_id: data.bindingId, email: email, password: password })
      .then(function (res) {
        busy(button, false);
        if (res.status === 200) {
          document.getElementById('password').value = '';
          document.getElementById('who').textContent = res.body.email || email;
          say('approve-error', '');
          show('approve');
        } else if (res.status === 401) {
          say('sign-in-error', 'That email and password do not match. Check them and try again.');
          document.getElementById('password').select();
        } else if (res.status === 429) {
          var minutes = Math.max(1, Math.ceil(res.retryAfter / 60));
          say('sign-in-error', 'Too many failed attempts. For your security, wait ' + minutes + ' minute' + (minutes === 1 ? '' : 's') + ' before trying again.');
        } else if (res.status === 0) {
          say('sign-in-error', UNREACHABLE);
        } else {
          say('sign-in-error', (res.body && res.body.detail) || 'Sign-in failed. Try again.');
        }
      });
  });

  function decide(verdict) {
    var button = document.getElementById(verdict === 'approve' ? 'approve-button' : 'deny-button');
    var other = document.getElementById(verdict === 'approve' ? 'deny-button' : 'approve-button');
    say('approve-error', '');
    busy(button, true, verdict === 'approve' ? 'Approving\u2026' : 'Denying\u2026');
    other.disabled = true;
    post('device/' + verdict, { user_code: data.userCode }, { 'X-Plexsphere-CSRF': cookie('plexsphere_csrf') })
      .then(function (res) {
        busy(button, false);
        other.disabled = false;
        var code = (res.body && res.body.code) || '';
        if (res.status === 200) { show(verdict === 'approve' ? 'done' : 'denied'); return; }
        if (res.status === 401) {
          say('sign-in-error', 'Your sign-in session has ended. Sign in again to continue.');
          show('sign-in');
          return;
        }
        var message = res.status === 0 ? UNREACHABLE
          : code === 'device_code_expired' ? 'This code has expired. Run the sign-in command in your terminal again to get a new code.'
          : code === 'device_code_already_approved' ? 'This code has already been approved. Return to your terminal.'
          : code === 'device_code_denied' ? 'This request was already denied. Start the sign-in again from your terminal.'
          : code === 'device_code_not_found' ? 'This code is no longer known. Start the sign-in again from your terminal.'
          : code.indexOf('csrf') === 0 ? 'A security check failed. Open the link from your terminal again and retry.'
          : (res.body && res.body.detail) || 'Something went wrong. Try again.';
        say('approve-error', message);
        if (code.indexOf('device_code_') === 0) { button.disabled = true; other.disabled = true; }
      });
  }
  document.getElementById('approve-button').addEventListener('click', function () { decide('approve'); });
  document.getElementById('deny-button').addEventListener('click', function () { decide('deny'); });
  document.getElementById('switch-account').addEventListener('click', function () {
    say('sign-in-error', '');
    show('sign-in');
  });
})();
`;

function layout(nonce: string, title: string, inner: string, withScript: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} · Plexsphere</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<main>
<div class="brand">${LOGO}<span>Plexsphere</span></div>
<div class="card">
${inner}
</div>
</main>
${withScript ? `<script nonce="${nonce}">${SCRIPT}</script>` : ''}
</body>
</html>
`;
}

function enterCode(view: { code?: string; error?: string }): string {
  return `<h1>Sign in to a device</h1>
<p class="muted">Enter the code shown in your terminal to continue.</p>
${view.error ? `<div class="alert error" role="alert" id="code-error">${esc(view.error)}</div>` : ''}
<form method="get" action="device" novalidate>
  <div class="field">
    <label for="user_code">Code from your terminal</label>
    <input class="code-input" id="user_code" name="user_code" value="${esc(view.code ?? '')}" placeholder="ABCD-EFGH"
      autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="12" required autofocus>
  </div>
  <button type="submit">Continue</button>
</form>`;
}

function closed(view: { userCode: string; title: string; message: string }): string {
  return `<h1>${esc(view.title)}</h1>
<div class="alert error" role="alert" id="code-error">${esc(view.message)}</div>
<div class="code-box"><span class="label">Code</span><span class="code">${esc(view.userCode)}</span></div>
<p class="foot"><a href="device">Enter a different code</a></p>`;
}

function signInFlow(view: Extract<SignInPageView, { step: 'sign-in' }>): string {
  const signedIn = view.signedInAs;
  const hidden = (on: boolean) => (on ? '' : ' hidden');
  return `<div id="flow" data-user-code="${esc(view.userCode)}" data-domain-id="${esc(view.domainId)}" data-binding-id="${esc(view.bindingId)}">
<section id="panel-sign-in"${hidden(!signedIn)}>
  <h1>Sign in to ${esc(view.domainName)}</h1>
  <p class="muted">A device is asking to sign in with this code. Sign in to approve it.</p>
  <div class="code-box"><span class="label">Check that this matches the code in your terminal</span><span class="code" id="user-code">${esc(view.userCode)}</span></div>
  <div class="alert error" role="alert" id="sign-in-error" hidden></div>
  <form id="sign-in-form" novalidate>
    <div class="field">
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required data-autofocus${signedIn ? '' : ' autofocus'}>
    </div>
    <div class="field">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
    </div>
    <button type="submit" id="sign-in-button">Sign in</button>
  </form>
  <p class="foot">Signing in with ${esc(view.bindingLabel)}. Not the right code? <a href="device">Enter a different code</a>.</p>
</section>
<section id="panel-approve"${hidden(Boolean(signedIn))}>
  <h1>Approve this device?</h1>
  <p>You are signed in as <strong id="who">${esc(signedIn?.email ?? '')}</strong>.</p>
  <div class="code-box"><span class="label">Code</span><span class="code">${esc(view.userCode)}</span></div>
  <p class="muted">Approve only if you started this sign-in yourself and the code matches your terminal. The device will act as you in ${esc(view.domainName)}.</p>
  <div class="alert error" role="alert" id="approve-error" hidden></div>
  <div class="actions">
    <button type="button" class="secondary" id="deny-button">Deny</button>
    <button type="button" id="approve-button" data-autofocus>Approve</button>
  </div>
  <p class="foot">Not you? <button type="button" class="link" id="switch-account">Sign in with a different account</button></p>
</section>
<section id="panel-done" hidden>
  ${CHECK}
  <h1 tabindex="-1" data-autofocus>Device approved</h1>
  <div class="alert ok" role="status">You are signed in. Return to your terminal: it will finish on its own.</div>
  <p class="muted">You can close this tab.</p>
</section>
<section id="panel-denied" hidden>
  <h1 tabindex="-1" data-autofocus>Request denied</h1>
  <div class="alert error" role="status">Nothing was signed in. If you did not start this sign-in, you can ignore it.</div>
  <p class="muted">You can close this tab.</p>
</section>
</div>`;
}

export function renderSignInPage(view: SignInPageView, nonce: string): string {
  switch (view.step) {
    case 'enter-code':
      return layout(nonce, 'Enter your code', enterCode(view), false);
    case 'closed':
      return layout(nonce, view.title, closed(view), false);
    case 'sign-in':
      return layout(nonce, `Sign in to ${view.domainName}`, signInFlow(view), true);
  }
}
