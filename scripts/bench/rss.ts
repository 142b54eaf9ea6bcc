/** Samples this process's resident set size (the whole embedded stack runs in it). */
export function sampleRss(intervalMs = 50): { stop(): { peakBytes: number; samples: number } } {
  let peak = process.memoryUsage.rss();
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    samples += 1;
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage.rss());
      return { peakBytes: peak, samples: samples + 1 };
    },
  };
}
