// How often a live region may speak: a screen reader reading out a new count every couple of
// seconds under steady traffic drowns everything else. Pure, so the unit tests run it in node.

/** The default gap between two announcements. */
export const ANNOUNCE_GAP_MS = 30_000;

/**
 * When to say `wanted`, given what was last said and when: now (0), after a wait (ms), or never
 * (undefined: it is what was said). The first words are said at once; later ones wait until `gapMs`
 * after the last, and only the newest words by then are said.
 */
export function announceDelay(
  wanted: string,
  said: string,
  saidAt: number | undefined,
  now: number,
  gapMs = ANNOUNCE_GAP_MS,
): number | undefined {
  if (wanted === said) return undefined;
  if (saidAt === undefined) return 0;
  return Math.max(0, saidAt + gapMs - now);
}
