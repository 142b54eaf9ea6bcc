import { describe, expect, it } from 'vitest';
import { formatSeconds, parseDuration, parseSeconds, span } from '../../cli/duration.ts';
import { EXIT, UsageError } from '../../cli/errors.ts';

// The durations plexctl takes on flags (--lease, --by, --max-lease, --timeout) and prints back.

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['45m', 2_700_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['1d12h', 129_600_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['120', 120_000],
    [' 10m ', 600_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text, '--lease')).toBe(ms);
  });

  it.each(['', 'soon', '2 h', '2h junk', 'h2', '-5m', '0s', '0', '1w', '10M', '1h-30m'])(
    'refuses %j as a usage error naming the flag',
    (text) => {
      let caught: unknown;
      try {
        parseDuration(text, '--lease', 'resource create');
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UsageError);
      const err = caught as UsageError;
      expect(err.exitCode).toBe(EXIT.usage);
      expect(err.command).toBe('resource create');
      expect(err.message).toContain('--lease');
      expect(err.message).toContain(`"${text}"`);
    },
  );
});

describe('parseSeconds', () => {
  it('gives whole seconds', () => {
    expect(parseSeconds('2h', '--lease')).toBe(7200);
    expect(parseSeconds('7d', '--max-lease')).toBe(604_800);
    expect(parseSeconds('60', '--lease')).toBe(60);
  });

  it('refuses a fraction of a second, naming the flag', () => {
    expect(() => parseSeconds('1500ms', '--lease')).toThrow(/--lease takes whole seconds/);
  });
});

describe('formatSeconds', () => {
  it.each([
    [604_800, '7d'],
    [5400, '1h30m'],
    [90, '1m30s'],
    [59, '59s'],
    [90_061, '1d1h1m1s'],
    [0, '0s'],
  ])('%d s reads as %s, and back', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
    if (seconds > 0) expect(parseSeconds(text, '--max-lease')).toBe(seconds);
  });
});

describe('span', () => {
  it.each([
    [45_000, '45s'],
    [3 * 60_000 + 20_000, '3m'],
    [2 * 3_600_000 - 1000, '1h 59m'],
    [2 * 3_600_000, '2h'],
    [7 * 86_400_000 - 3_600_000, '6d 23h'],
    [7 * 86_400_000, '7d'],
    [-3 * 60_000, '3m'],
  ])('%d ms reads as %s', (ms, text) => {
    expect(span(ms)).toBe(text);
  });
});
