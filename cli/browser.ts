// Opens the sign-in page where a person can see it: macOS, or a Linux/BSD desktop session (a
// DISPLAY or WAYLAND_DISPLAY). On a server or in CI nothing is launched; the URL is printed anyway.
import { spawn } from 'node:child_process';

export function browserOpener(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'darwin') return 'open';
  if (platform === 'win32') return undefined;
  return env.DISPLAY || env.WAYLAND_DISPLAY ? 'xdg-open' : undefined;
}

export function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const opener = browserOpener(env);
  if (!opener) return false;
  try {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}
