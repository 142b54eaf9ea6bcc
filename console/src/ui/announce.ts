// A live region's words, spoken at most once per gap (ui/throttle.ts decides when); what is shown
// on screen stays current, only what is announced waits.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ANNOUNCE_GAP_MS, announceDelay } from './throttle.ts';

/** `text` as a live region should carry it: the first words at once, later ones at most every `gapMs`. */
export function useThrottledAnnouncement(text: string, gapMs = ANNOUNCE_GAP_MS): string {
  const [said, setSaid] = useState('');
  const saidAt = useRef<number | undefined>(undefined);
  useEffect(() => {
    const wait = announceDelay(text, said, saidAt.current, Date.now(), gapMs);
    if (wait === undefined) return;
    const say = () => {
      saidAt.current = Date.now();
      setSaid(text);
    };
    if (wait === 0) {
      say();
      return;
    }
    // Newer words before the wait ends replace these (this effect runs again and clears the timer).
    const timer = setTimeout(say, wait);
    return () => clearTimeout(timer);
  }, [text, said, gapMs]);
  return said;
}
