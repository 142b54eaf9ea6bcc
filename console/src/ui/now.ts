// The current time for relative words ("2m ago", "5s so far"), moved on by one timer.
import { useEffect, useState } from 'preact/hooks';

/** The current time, updated every `everyMs` while the caller shows it, so relative times stay true. */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
