import assert from 'node:assert/strict';
import { History } from '../history.ts';
import { SimClock } from '../sim-clock.ts';
import { ReconcileQueue } from './reconcile-queue.ts';
import { parseGoDurationMs } from './go-duration.ts';

describe('sim/controllers/reconcile-queue', () => {
  let clock: SimClock;
  let history: History;
  beforeEach(() => {
    clock = new SimClock(0.001);
    history = new History();
  });
  afterEach(() => clock.stop());

  it('collapses a burst of adds for one key into one reconcile', async () => {
    const seen: string[] = [];
    const queue = new ReconcileQueue({ name: 'test', clock, history, reconcile: async (key) => void seen.push(key) });
    for (let i = 0; i < 5; i++) queue.add('ns/a');
    queue.add('ns/b');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await queue.stop();
    assert.deepEqual(seen, ['ns/a', 'ns/b']);
  });

  it('runs a key again when it was added while being reconciled', async () => {
    let runs = 0;
    let release!: () => void;
    const firstRunBlocked = new Promise<void>((resolve) => (release = resolve));
    const queue = new ReconcileQueue({
      name: 'test',
      clock,
      history,
      reconcile: async () => {
        runs++;
        if (runs === 1) await firstRunBlocked;
      },
    });
    queue.add('k');
    await new Promise((resolve) => setTimeout(resolve, 10));
    queue.add('k');
    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await queue.stop();
    assert.equal(runs, 2);
  });

  it('records a failure in History and retries the key with backoff', async () => {
    let runs = 0;
    const queue = new ReconcileQueue({
      name: 'test-op',
      clock,
      history,
      reconcile: async () => {
        runs++;
        if (runs < 3) throw new Error(`boom ${runs}`);
      },
    });
    queue.add('k');
    await new Promise((resolve) => setTimeout(resolve, 60));
    await queue.stop();
    assert.equal(runs, 3);
    assert.deepEqual(history.ofType('reconcile-error', 'test-op').map((e) => e.data.message), ['boom 1', 'boom 2']);
  });

  it('requeues after the delay a reconcile asks for, and not after stop', async () => {
    let runs = 0;
    const queue = new ReconcileQueue({ name: 'test', clock, history, reconcile: async () => (++runs < 3 ? { requeueAfterMs: 5000 } : undefined) });
    queue.add('k');
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(runs, 3);
    await queue.stop();
    queue.add('k');
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(runs, 3);
  });
});

describe('sim/controllers/go-duration', () => {
  it('parses the durations tidb-operator specs carry', () => {
    assert.equal(parseGoDurationMs('1500m'), 90_000_000);
    assert.equal(parseGoDurationMs('1h30m'), 5_400_000);
    assert.equal(parseGoDurationMs('90s'), 90_000);
    assert.equal(parseGoDurationMs('400ms'), 400);
    assert.equal(parseGoDurationMs('1.5s'), 1500);
    assert.equal(parseGoDurationMs('0'), 0);
  });

  it('rejects what Go rejects', () => {
    for (const bad of ['', '10', 'm', '5 m', '1d']) assert.throws(() => parseGoDurationMs(bad), /invalid duration/);
  });
});
