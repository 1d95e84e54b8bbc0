import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../src/cli/duration.ts';
import { UsageError } from '../../src/errors.ts';

describe('human durations', () => {
  const cases: [string, number][] = [
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['1h30m15s', 5_415_000],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['2m500ms', 120_500],
    ['0', 0],
    [' 45s ', 45_000],
  ];
  for (const [text, ms] of cases) {
    it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.equal(parseDuration(text, 'evict-timeout'), ms);
    });
  }

  for (const bad of ['', '10', '10x', 'm10', '-5s', '1h1h', '5 m', 'abc', '1.2.3s']) {
    it(`rejects ${JSON.stringify(bad)} with a usage error naming the flag`, () => {
      assert.throws(
        () => parseDuration(bad, 'evict-timeout'),
        (error: unknown) => error instanceof UsageError && error.code === 2 && error.message.includes('--evict-timeout') && error.suggestions.length > 0,
      );
    });
  }

  it('reads a bare number as seconds where kubectl does (--request-timeout)', () => {
    assert.equal(parseDuration('5', 'request-timeout', { bareNumberUnit: 's' }), 5000);
  });

  it('formats milliseconds as users write them', () => {
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(5_400_000), '1h30m');
    assert.equal(formatDuration(600_000), '10m');
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(0), '0s');
  });

  it('round-trips what it formats', () => {
    for (const ms of [1000, 61_000, 3_600_000, 3_661_000]) assert.equal(parseDuration(formatDuration(ms), 'x'), ms);
  });
});
