// Who is signed in: the broker's whoami, read through the session cookie. The console keeps no
// token; a reload asks the broker again.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Schemas } from '../../client/broker.ts';

export type Whoami = Schemas['WhoamiView'];

export interface SessionState {
  user: Whoami;
  /** Signs out (the broker clears both cookies) and shows the sign-in view. */
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<SessionState | undefined>(undefined);

/** The signed-in user; pages are only rendered once there is one. */
export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
