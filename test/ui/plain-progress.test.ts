import assert from 'node:assert/strict';
import { aTarget } from '../core/builders.ts';
import type { StepRecord } from '../../src/core/step-record.ts';
import { nextStep } from '../../src/core/store-step.ts';
import type { ProgressEvent } from '../../src/services/progress.ts';
import { runStoreStep } from '../../src/services/store-step-runner.ts';
import { colors } from '../../src/ui/color.ts';
import { PlainProgress, timestamp } from '../../src/ui/plain-progress.ts';
import { FakeWorld } from '../services/fake-world.ts';
import { EventScript } from './event-script.ts';

const target = aTarget;

function setup(options: { verbose?: boolean; colored?: boolean } = {}) {
  const written: string[] = [];
  const plain = new PlainProgress({ stream: { write: (text: string) => written.push(text) }, verbose: options.verbose, colors: options.colored ? colors(true) : undefined });
  const script = new EventScript(plain);
  /** The lines without their timestamps. */
  const lines = () => written.join('').split('\n').filter(Boolean).map((line) => line.replace(/^\S+ /, ''));
  return { plain, script, written, lines };
}

describe('ui/plain-progress', () => {
  it('logs a restart driven by the step runner as one timestamped line per change', async () => {
    const world = new FakeWorld({ leaders: 300 });
    const written: string[] = [];
    const plain = new PlainProgress({ stream: { write: (text: string) => written.push(text) } });
    plain.emit({ type: 'store-start', podName: 'basic-tikv-1', storeId: 2, index: 0, total: 3, atMs: world.clock.now() });
    const events: ProgressEvent[] = [];
    const progress = { emit: (event: ProgressEvent) => (events.push(event), plain.emit(event)) };
    const result = await runStoreStep({ ...world.deps(), progress }, target(), world.member('basic-tikv-1'), {
      runId: 'run-1',
      command: 'restart',
      holder: 'tester',
      pollIntervalMs: 1_000,
      cleanupTimeoutMs: 5_000,
      signal: new AbortController().signal,
    });
    await plain.stop();
    const all = written.join('').split('\n').filter(Boolean);
    for (const line of all) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ basic-tikv-1 store 2: /);
    const text = all.map((line) => line.replace(/^\S+ basic-tikv-1 store 2: /, ''));
    assert.equal(text[0], 'starting (1/3)');
    assert.match(text.at(-1)!, /^done in \d+s: store 2 holds \d+ leader\(s\) again \(had 300\)$/);
    // Every action prints, in the order the step runner performed them.
    const actionDetails = result.actions.map((a) => a.detail);
    assert.deepEqual(text.filter((line) => actionDetails.includes(line)), actionDetails);
    // The eviction shows its count as it was then and the count it waits for.
    assert.match(text.find((line) => line.startsWith('evicting leaders'))!, /^evicting leaders \(\d+ → 0\)$/);
    assert.match(text.find((line) => line.startsWith('leaders coming back'))!, /^leaders coming back \(\d+ → 200\)$/);
    // Not a line per poll: repeated waits with a changing count are left out.
    const waits = events.filter((e) => e.type === 'step' && e.step.kind === 'wait').length;
    const waitLines = text.length - 2 - actionDetails.length;
    assert.ok(waitLines < waits, `${waitLines} wait lines for ${waits} waits:\n${text.join('\n')}`);
  });

  it('prints a wait with only a changing count at most every 10 seconds', () => {
    const { script, lines } = setup();
    const store = script.store('basic-tikv-1', 2).start();
    for (let second = 0; second <= 31; second += 2) {
      store.draining(312 - second * 10);
      script.advance(2_000);
    }
    assert.deepEqual(lines(), [
      'basic-tikv-1 store 2: starting',
      'basic-tikv-1 store 2: evicting leaders (312 → 0)',
      'basic-tikv-1 store 2: evicting leaders (212 → 0)',
      'basic-tikv-1 store 2: evicting leaders (112 → 0)',
      'basic-tikv-1 store 2: evicting leaders (12 → 0)',
    ]);
  });

  it('prints a wait at once when what it waits for changes', () => {
    const { script, lines } = setup();
    const store = script.store('basic-tikv-1', 2).start();
    store.wait('pod-replaced', 'pod basic-tikv-1 is terminating');
    script.advance(1_000);
    store.wait('pod-ready', 'pod basic-tikv-1 is not Ready yet');
    script.advance(1_000);
    store.wait('store-up', 'waiting for store 2 to re-register with PD');
    script.advance(1_000);
    store.wait('store-up', 'store 2 is Disconnected');
    assert.deepEqual(lines().slice(1), [
      'basic-tikv-1 store 2: pod basic-tikv-1 is terminating',
      'basic-tikv-1 store 2: pod basic-tikv-1 is not Ready yet',
      'basic-tikv-1 store 2: waiting for store 2 to re-register with PD',
    ]);
  });

  it('prints every action, warning, note and end, with the time each happened', () => {
    const { script, written } = setup();
    script.info('plan: basic-tikv-1 (in the order given)');
    const store = script.store('basic-tikv-1', 2).start(0, 1);
    script.advance(1_000);
    store.beginEviction(5);
    script.advance(1_000);
    store.warning('store 2 was removed from the evict-leader scheduler by someone else; added it again');
    script.advance(61_000);
    store.end('done', 'store 2 holds 5 leader(s) again (had 5)');
    script.warning('could not record Kubernetes Events on basic-tikv-9 (the step goes on)', 'basic-tikv-9');
    assert.equal(
      written.join(''),
      [
        '2026-11-21T10:00:00Z plan: basic-tikv-1 (in the order given)',
        '2026-11-21T10:00:00Z basic-tikv-1 store 2: starting',
        '2026-11-21T10:00:01Z basic-tikv-1 store 2: step recorded (5 leaders before)',
        '2026-11-21T10:00:01Z basic-tikv-1 store 2: evict-leader scheduler added for store 2',
        '2026-11-21T10:00:02Z basic-tikv-1 store 2: warning: store 2 was removed from the evict-leader scheduler by someone else; added it again',
        '2026-11-21T10:01:03Z basic-tikv-1 store 2: done in 1m3s: store 2 holds 5 leader(s) again (had 5)',
        '2026-11-21T10:01:03Z basic-tikv-9: warning: could not record Kubernetes Events on basic-tikv-9 (the step goes on)',
        '',
      ].join('\n'),
    );
  });

  it('prints failed, interrupted and skipped stores with their reasons', () => {
    const { script, lines } = setup();
    script.store('basic-tikv-0', 1).start(0, 3).end('skipped', 'already on v8.5.1');
    script.store('basic-tikv-1', 2).start(1, 3);
    script.advance(600_000);
    script.store('basic-tikv-1', 2).end('failed', 'store 2 still holds 12 leader(s) after the eviction timeout; the evict-leader scheduler of store 2 was removed');
    script.store('basic-tikv-2', 3).start(2, 3);
    script.advance(4_000);
    script.store('basic-tikv-2', 3).end('interrupted', 'interrupted while restarting store 3 (pod basic-tikv-2, not restarted); nothing to clean up');
    assert.deepEqual(lines(), [
      'basic-tikv-0 store 1: starting (1/3)',
      'basic-tikv-0 store 1: skipped: already on v8.5.1',
      'basic-tikv-1 store 2: starting (2/3)',
      'basic-tikv-1 store 2: FAILED after 10m: store 2 still holds 12 leader(s) after the eviction timeout; the evict-leader scheduler of store 2 was removed',
      'basic-tikv-2 store 3: starting (3/3)',
      'basic-tikv-2 store 3: interrupted after 4s: interrupted while restarting store 3 (pod basic-tikv-2, not restarted); nothing to clean up',
    ]);
  });

  it('names the operator and an unreadable TiKV in leader waits', () => {
    const { script, lines } = setup();
    const store = script.store('db-tikv-abc', 4).start();
    store.wait('leaders-drained', 'operator evicting store 4: 30 leader(s) per PD, 28 per TiKV');
    const record: StepRecord = {
      runId: 'run-1',
      command: 'restart',
      storeId: 5,
      podName: 'basic-tikv-4',
      podUid: 'uid-1',
      startTimestampSec: 1,
      leadersBefore: 40,
      phase: 'evicting',
      phaseSinceMs: script.nowMs,
      ownsScheduler: true,
      schedulerAddedAtMs: script.nowMs,
    };
    const upStore = { stateName: 'Up' as const, startTimestampSec: 1, version: '8.5.0', leaderCount: 0, lastHeartbeatMs: script.nowMs };
    const unread = nextStep(target({ podName: 'basic-tikv-4', storeId: 5 }), {
      nowMs: script.nowMs,
      record,
      pod: { uid: 'uid-1', ready: true, terminating: false },
      store: { ...upStore, leaderCount: 37 },
      tikvLeaderCount: null,
      schedulerHasStore: true,
    });
    script.store('basic-tikv-4', 5).step(unread);
    assert.deepEqual(lines().slice(1), [
      'db-tikv-abc store 4: the operator is evicting leaders (30 → 0)',
      'basic-tikv-4 store 5: evicting leaders (37 → 0); TiKV /metrics could not be read',
    ]);
  });

  it('logs every decision of the step machine when verbose', () => {
    const { script, lines } = setup({ verbose: true });
    const store = script.store('basic-tikv-1', 2).start().beginEviction(3);
    store.draining(3);
    store.draining(2);
    assert.deepEqual(lines(), [
      'basic-tikv-1 store 2: starting',
      'basic-tikv-1 store 2: recording the restart of store 2 (pod basic-tikv-1)',
      'basic-tikv-1 store 2: step recorded (3 leaders before)',
      'basic-tikv-1 store 2: evicting leaders from store 2',
      'basic-tikv-1 store 2: evict-leader scheduler added for store 2',
      'basic-tikv-1 store 2: evicting leaders (3 → 0)',
      'basic-tikv-1 store 2: evicting leaders (2 → 0)',
    ]);
  });

  it('colours only warnings, failures and successes, and only when asked', () => {
    const { script, written } = setup({ colored: true });
    script.store('basic-tikv-1', 2).start().end('failed', 'it broke');
    script.warning('careful');
    assert.ok(written.join('').includes('\u001b[31mFAILED\u001b[39m'), 'FAILED in red');
    assert.ok(written.join('').includes('\u001b[33mwarning:\u001b[39m careful'), 'warning: in yellow');
    const plain = setup();
    plain.script.store('basic-tikv-1', 2).start().end('failed', 'it broke');
    assert.ok(!plain.written.join('').includes('\u001b['));
  });

  it('stamps lines in UTC to the second', () => {
    assert.equal(timestamp(Date.UTC(2026, 10, 21, 10, 0, 1, 999)), '2026-11-21T10:00:01Z');
  });
});
