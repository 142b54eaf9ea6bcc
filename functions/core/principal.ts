/** Who is calling. Users come from access tokens; nodes (later) from the NSK envelope. */
export interface UserPrincipal {
  type: 'user';
  userId: string;
  domainId: string;
  email: string;
}

export type Principal = UserPrincipal;
