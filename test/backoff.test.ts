import assert from 'node:assert/strict';
import { backoffDelayMs, sleep } from '../src/backoff.ts';

describe('backoff', () => {
  const policy = { retries: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles the cap per retry up to the maximum, waiting between half and all of it', () => {
    const low = { ...policy, random: () => 0 };
    const high = { ...policy, random: () => 0.999999 };
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, low)), [50, 100, 200, 400, 500, 500]);
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, high)), [100, 200, 400, 800, 1_000, 1_000]);
  });

  it('spreads retries of clients that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, policy)));
    assert.ok(delays.size > 10, `only ${delays.size} distinct delays`);
    for (const delay of delays) assert.ok(delay >= 400 && delay <= 800, String(delay));
  });

  it('sleeps, and stops sleeping with the signal\'s reason when aborted', async () => {
    await sleep(1);
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    await assert.rejects(pending, (error: unknown) => error === reason);
    await assert.rejects(sleep(1, AbortSignal.abort(reason)), (error: unknown) => error === reason);
  });
});
