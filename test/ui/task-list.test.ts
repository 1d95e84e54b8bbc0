import assert from 'node:assert/strict';
import { aTarget } from '../core/builders.ts';
import type { Progress, ProgressEvent } from '../../src/services/progress.ts';
import { runStoreStep, StoreStepError } from '../../src/services/store-step-runner.ts';
import { formatDuration } from '../../src/cli/duration.ts';
import { colors, stripAnsi, type Colors } from '../../src/ui/color.ts';
import { TaskList } from '../../src/ui/task-list.ts';
import { FakeWorld } from '../services/fake-world.ts';
import { EventScript, T0 } from './event-script.ts';
import { settle, until, VirtualTerminal } from './virtual-terminal.ts';

const target = aTarget;

/** A task list on a fake terminal, its clock driven by the script. */
function setup(options: { colors?: Colors; tickMs?: number } = {}) {
  const terminal = new VirtualTerminal({ columns: 200 });
  const list: TaskList = new TaskList({ stream: terminal, colors: options.colors ?? colors(false), now: (): number => script.nowMs, tickMs: options.tickMs ?? 60_000 });
  const script = new EventScript(list);
  return { terminal, list, script };
}

/** Lines of the screen, for order assertions. */
function lines(terminal: VirtualTerminal): string[] {
  return terminal.screen().split('\n');
}

/** Screens as they were after each batch of events, for what the user saw during a run. */
function recordScreens(list: TaskList, terminal: VirtualTerminal): { progress: Progress; screens: string[] } {
  const screens: string[] = [];
  return {
    screens,
    progress: {
      emit: (event: ProgressEvent) => {
        list.emit(event);
        setImmediate(() => {
          const screen = terminal.screen();
          if (screens.at(-1) !== screen) screens.push(screen);
        });
      },
    },
  };
}

function indexOfLine(all: string[], pattern: RegExp): number {
  return all.findIndex((line) => pattern.test(line));
}

describe('ui/task-list', () => {
  it('shows a restart driven by the step runner as one task whose sub-steps follow the step machine', async () => {
    const world = new FakeWorld({ leaders: 300 });
    const terminal = new VirtualTerminal({ columns: 160 });
    const list = new TaskList({ stream: terminal, colors: colors(false), now: () => world.clock.now(), tickMs: 60_000 });
    const { progress, screens } = recordScreens(list, terminal);
    progress.emit({ type: 'store-start', podName: 'basic-tikv-1', storeId: 2, index: 0, total: 3, atMs: world.clock.now() });
    await until(() => terminal.screen().includes('basic-tikv-1'), () => terminal.screen());
    const result = await runStoreStep({ ...world.deps(), progress }, target(), world.member('basic-tikv-1'), {
      runId: 'run-1',
      command: 'restart',
      holder: 'tester',
      pollIntervalMs: 1_000,
      cleanupTimeoutMs: 5_000,
      signal: new AbortController().signal,
    });
    await settle();
    await list.stop();

    assert.equal(result.outcome, 'done');
    // Done: collapsed to one line with the store's total time.
    assert.equal(terminal.screen(), `✔ basic-tikv-1 (store 2) [1/3] ${formatDuration(result.endedAtMs - result.startedAtMs)}`);
    // While it ran, the sub-steps appeared in the step machine's order, each done before the next.
    const lastLive = screens.filter((s) => s.includes('leaders back')).at(-1)!;
    const live = lastLive.split('\n');
    const titles = ['evict leaders', 'wait for 0 leaders', 'restart pod', 'pod Ready', 'store Up', 'end eviction', 'leaders back'];
    const positions = titles.map((title) => indexOfLine(live, new RegExp(`^ {2}. ${title}`)));
    assert.ok(positions.every((p, i) => p > 0 && (i === 0 || p > positions[i - 1])), `sub-steps out of order:\n${lastLive}`);
    assert.match(live[0], /^❯ basic-tikv-1 \(store 2\) \[1\/3\]$/);
    for (const title of titles.slice(0, -1)) assert.match(live[indexOfLine(live, new RegExp(`^ {2}. ${title}`))], /^ {2}✔ /);
    assert.match(lastLive, /^ {2}⠋ leaders back\n {4}› store 2 holds \d+ leader\(s\), waiting for 200 \(had 300\) · \ds \(timeout in 4m5\ds\)$/m);
    // The leader count went down live during the eviction.
    const counts = screens.flatMap((s) => [...s.matchAll(/store 2 still holds (\d+) leader\(s\) · (\d+)s/g)].map((m) => Number(m[1])));
    assert.ok(counts.length >= 3, `expected live counts, saw:\n${screens.join('\n---\n')}`);
    assert.deepEqual(counts, [...counts].sort((a, b) => b - a));
  });

  it('shows live leader counts, the elapsed time and the deadline of the running sub-step', async () => {
    const { terminal, list, script } = setup();
    const store = script.store('basic-tikv-1', 2).start().beginEviction(312);
    script.advance(1_000);
    store.draining(312);
    await until(() => terminal.screen().includes('312 leader(s)'), () => terminal.screen());
    assert.deepEqual(lines(terminal), [
      '❯ basic-tikv-1 (store 2)',
      '  ✔ evict leaders 1s',
      '  ⠋ wait for 0 leaders',
      '    › store 2 still holds 312 leader(s) · 0s (timeout in 10m)',
    ]);
    script.advance(72_000);
    store.wait('leaders-drained', 'store 2 still holds 140 leader(s) per PD, 138 per TiKV', 600_000 - 72_000);
    await until(() => terminal.screen().includes('140'), () => terminal.screen());
    assert.equal(lines(terminal)[3], '    › store 2 still holds 140 leader(s) per PD, 138 per TiKV · 1m12s (timeout in 8m48s)');
    await list.stop();
  });

  it('refreshes the elapsed time of the running sub-step without new events', async () => {
    const { terminal, list, script } = setup({ tickMs: 5 });
    script.store('basic-tikv-1', 2).start().beginEviction(10).draining(10);
    await until(() => terminal.screen().includes('· 0s'), () => terminal.screen());
    script.advance(42_000);
    await until(() => terminal.screen().includes('· 42s (timeout in 9m18s)'), () => terminal.screen());
    await list.stop();
  });

  it("keeps a failed store's sub-steps on screen with the reason, and what cleanup did", async () => {
    const { terminal, list, script } = setup();
    const store = script.store('basic-tikv-1', 2).start().beginEviction(312);
    script.advance(1_000);
    store.draining(312);
    await settle();
    script.advance(600_000);
    const reason = 'store 2 still holds 12 leader(s) after the eviction timeout (12 leader(s)); pod basic-tikv-1 was not restarted';
    store
      .step({ kind: 'fail', reason, suggestion: 'raise --evict-timeout', podTouched: false })
      .action('cleanup', 'the evict-leader scheduler of store 2 was removed')
      .end('failed', `${reason}; the evict-leader scheduler of store 2 was removed`);
    await list.stop();
    assert.deepEqual(lines(terminal), [
      '✖ basic-tikv-1 (store 2) failed after 10m1s',
      '  ✔ evict leaders 1s',
      '  ✖ wait for 0 leaders 10m',
      `    › ${reason}; the evict-leader scheduler of store 2 was removed`,
    ]);
  });

  it('marks an interrupted store and keeps the sub-step it was in', async () => {
    const { terminal, list, script } = setup();
    const store = script.store('basic-tikv-2', 3).start(1, 3).beginEviction(50);
    store.draining(50);
    await settle();
    script.advance(40_000);
    store.action('cleanup', 'the evict-leader scheduler of store 3 was removed').end(
      'interrupted',
      'interrupted while restarting store 3 (pod basic-tikv-2, not restarted); the evict-leader scheduler of store 3 was removed',
    );
    await list.stop();
    assert.deepEqual(lines(terminal), [
      '✖ basic-tikv-2 (store 3) [2/3] interrupted after 40s',
      '  ✔ evict leaders',
      '  ✖ wait for 0 leaders 40s',
      '    › interrupted while restarting store 3 (pod basic-tikv-2, not restarted); the evict-leader scheduler of store 3 was removed',
    ]);
  });

  it('says a store was interrupted when its reason does not', async () => {
    const { terminal, list, script } = setup();
    script.store('basic-tikv-1', 2).start().beginEviction(5).end('interrupted', 'the Lease was lost to another run');
    await list.stop();
    assert.deepEqual(lines(terminal).slice(-2), ['  ✖ evict leaders', '    › interrupted: the Lease was lost to another run']);
  });

  it('says at once that cleanup is under way when the command is interrupted', async () => {
    const terminal = new VirtualTerminal({ columns: 200 });
    const controller = new AbortController();
    const list = new TaskList({ stream: terminal, colors: colors(false), now: () => T0, signal: controller.signal });
    const script = new EventScript(list);
    script.store('basic-tikv-1', 2).start().beginEviction(5).draining(5);
    await until(() => terminal.screen().includes('5 leader(s)'), () => terminal.screen());
    controller.abort();
    await until(() => terminal.screen().includes('cleaning up'), () => terminal.screen());
    assert.equal(lines(terminal).at(-1), '⚠ interrupted: stopping and cleaning up (a scheduler kubectl-tikv added is removed before it exits)…');
    script.store('basic-tikv-1', 2).end('interrupted', 'interrupted while restarting store 2 (pod basic-tikv-1, not restarted); the evict-leader scheduler of store 2 was removed');
    await list.stop();
    assert.equal(lines(terminal)[0], '✖ basic-tikv-1 (store 2) interrupted after 0s');
  });

  it('adds stores as the run goes, with warnings and notes between them in the order they came', async () => {
    const { terminal, list, script } = setup();
    script.info('plan: basic-tikv-0, basic-tikv-1 (fewest leaders first)');
    const first = script.store('basic-tikv-0', 1).start(0, 2).beginEviction(5).draining(5);
    await settle();
    script.advance(30_000);
    first.end('done', 'store 1 holds 4 leader(s) again (had 5)');
    await settle();
    const second = script.store('basic-tikv-1', 2).start(1, 2);
    await settle();
    second.beginEviction(7);
    second.warning('store 2 was removed from the evict-leader scheduler by someone else; added it again');
    await settle();
    assert.deepEqual(lines(terminal).slice(0, 3), [
      'ℹ plan: basic-tikv-0, basic-tikv-1 (fewest leaders first)',
      '✔ basic-tikv-0 (store 1) [1/2] 30s',
      '❯ basic-tikv-1 (store 2) [2/2]',
    ]);
    script.advance(60_000);
    second.end('done', 'store 2 holds 7 leader(s) again (had 7)');
    await list.stop();
    assert.deepEqual(lines(terminal), [
      'ℹ plan: basic-tikv-0, basic-tikv-1 (fewest leaders first)',
      '✔ basic-tikv-0 (store 1) [1/2] 30s',
      '✔ basic-tikv-1 (store 2) [2/2] 1m',
      '⚠ store 2 was removed from the evict-leader scheduler by someone else; added it again',
    ]);
  });

  it('prints notes before the first store as lines, and events after stop as log lines', async () => {
    const { terminal, list, script } = setup();
    script.warning('took over the Lease of a run that stopped renewing it (alice@host (pid 7))');
    await settle();
    assert.equal(terminal.screen(), '⚠ took over the Lease of a run that stopped renewing it (alice@host (pid 7))');
    script.store('basic-tikv-0', 1).start().end('done', 'store 1 restarted');
    await list.stop();
    script.warning('could not record Kubernetes Events on basic-tikv-0 (the step goes on)', 'basic-tikv-0');
    assert.deepEqual(lines(terminal), [
      '⚠ took over the Lease of a run that stopped renewing it (alice@host (pid 7))',
      '✔ basic-tikv-0 (store 1)',
      '2026-11-21T10:00:00Z basic-tikv-0: warning: could not record Kubernetes Events on basic-tikv-0 (the step goes on)',
    ]);
  });

  it('puts the drain that a restart decision reports in the same breath before the restart', async () => {
    const { terminal, list, script } = setup();
    const store = script.store('basic-tikv-1', 2).start().beginEviction(0);
    await settle();
    // The step runner emits its decision first, then the milestone its observation showed.
    store
      .step({ kind: 'trigger', reason: 'store 2 holds no leaders (0 leader(s)); restarting pod basic-tikv-1' })
      .action('leaders-drained', 'store 2 holds no leaders (PD and TiKV)');
    await settle();
    store.action('restart-triggered', 'delete pod basic-tikv-1');
    store.wait('pod-replaced', 'pod basic-tikv-1 is terminating');
    await until(() => terminal.screen().includes('terminating'), () => terminal.screen());
    assert.deepEqual(lines(terminal), [
      '❯ basic-tikv-1 (store 2)',
      '  ✔ evict leaders',
      '  ✔ wait for 0 leaders',
      '  ✔ restart pod',
      '  ⠋ pod Ready',
      '    › pod basic-tikv-1 is terminating · 0s (timeout in 10m)',
    ]);
    await list.stop();
  });

  it('shows the sub-steps in the order they happened when the operator evicts after the restart', async () => {
    const { terminal, list, script } = setup();
    const store = script.store('db-tikv-abc', 4).start();
    store
      .step({ kind: 'begin', reason: 'recording the restart of store 4 (pod db-tikv-abc)' })
      .action('record-written', 'step recorded (90 leaders before)')
      .step({ kind: 'trigger', reason: 'deleting pod db-tikv-abc; the operator evicts its leaders first' });
    await settle();
    store.action('restart-triggered', 'delete pod db-tikv-abc');
    await settle();
    store.wait('leaders-drained', 'operator evicting store 4: 30 leader(s) per PD');
    await settle();
    store.action('leaders-drained', 'store 4 holds no leaders (PD and TiKV), evicted by the operator').wait('pod-replaced', 'pod db-tikv-abc is being recreated');
    await settle();
    store.wait('store-up', 'waiting for store 4 to re-register with PD');
    await settle();
    store.step({ kind: 'mark-returning', reason: 'store 4 is Up on version 8.5.0' });
    store.wait('operator-eviction-ended', 'waiting for the operator to end its eviction of store 4');
    await settle();
    script.advance(5_000);
    store.end('failed', 'lost contact with the cluster while restarting store 4: connection refused; the step record was removed');
    await list.stop();
    assert.deepEqual(lines(terminal), [
      '✖ db-tikv-abc (store 4) failed after 5s',
      '  ✔ restart pod',
      '  ✔ wait for 0 leaders',
      '  ✔ pod Ready',
      '  ✔ store Up',
      '  ✖ end eviction 5s',
      '    › lost contact with the cluster while restarting store 4: connection refused; the step record was removed',
    ]);
  });

  it("follows an operator's upgrade from milestones alone, stores overlapping", async () => {
    const { terminal, list, script } = setup();
    const a = script.store('basic-tikv-2', 3).start(0, 2);
    a.action('scheduler-added', 'the operator is evicting store 3');
    await settle();
    a.action('leaders-drained', 'store 3 holds no leaders (PD and TiKV)').action('restart-triggered', 'the operator is replacing pod basic-tikv-2');
    await settle();
    const b = script.store('basic-tikv-1', 2).start(1, 2).action('scheduler-added', 'the operator is evicting store 2');
    await settle();
    script.advance(20_000);
    a.action('pod-replaced', 'pod basic-tikv-2 recreated').action('pod-ready', 'pod basic-tikv-2 is Ready').action('store-up', 'store 3 is Up on 8.5.1');
    await until(() => terminal.screen().includes('store Up'), () => terminal.screen());
    assert.deepEqual(lines(terminal), [
      '❯ basic-tikv-2 (store 3) [1/2]',
      '  ✔ evict leaders',
      '  ✔ wait for 0 leaders',
      '  ✔ restart pod 20s',
      '  ✔ pod Ready',
      '  ⠋ store Up',
      '    › store 3 is Up on 8.5.1 · 0s',
      '❯ basic-tikv-1 (store 2) [2/2]',
      '  ⠋ evict leaders',
      '    › the operator is evicting store 2 · 20s',
    ]);
    a.action('scheduler-removed', 'the operator ended its eviction of store 3').end('done', 'store 3 upgraded by the operator to 8.5.1');
    b.end('done', 'store 2 upgraded by the operator to 8.5.1');
    await list.stop();
    assert.deepEqual(lines(terminal), ['✔ basic-tikv-2 (store 3) [1/2] 20s', '✔ basic-tikv-1 (store 2) [2/2] 20s']);
  });

  it('shows a phase entered again as a new sub-step', async () => {
    const { terminal, list, script } = setup();
    const store = script.store('basic-tikv-1', 2).start().beginEviction(20).draining(20);
    await settle();
    store.warning('store 2 was removed from the evict-leader scheduler by someone else; added it again');
    store.step({ kind: 'add-scheduler', reason: 'store 2 left the evict-leader scheduler (removed by someone else); adding it again' });
    await settle();
    store.action('scheduler-added', 'evict-leader scheduler added for store 2').draining(20);
    await until(() => terminal.screen().includes('wait for 0 leaders (again)'), () => terminal.screen());
    assert.deepEqual(lines(terminal).slice(0, 5), [
      '❯ basic-tikv-1 (store 2)',
      '  ✔ evict leaders',
      '  ✔ wait for 0 leaders',
      '  ✔ evict leaders (again)',
      '  ⠋ wait for 0 leaders (again)',
    ]);
    await list.stop();
  });

  it('marks a store that never reported its end as stopped when the list stops', async () => {
    const { terminal, list, script } = setup();
    script.store('basic-tikv-1', 2).start(0, 2).step({ kind: 'begin', reason: 'recording the restart of store 2 (pod basic-tikv-1)' });
    await until(() => terminal.screen().includes('recording'), () => terminal.screen());
    assert.deepEqual(lines(terminal), ['❯ basic-tikv-1 (store 2) [1/2]', '  › recording the restart of store 2 (pod basic-tikv-1)']);
    await list.stop();
    assert.deepEqual(lines(terminal), ['✖ basic-tikv-1 (store 2) [1/2] failed after 0s', '  ✖ prepare', '    › stopped before this store finished']);
  });

  it('shows a skipped store with the reason', async () => {
    const { terminal, list, script } = setup();
    script.store('basic-tikv-0', 1).start(0, 2).end('skipped', 'already on v8.5.1');
    script.store('basic-tikv-1', 2).start(1, 2).end('done', 'store 2 restarted');
    await list.stop();
    assert.deepEqual(lines(terminal), ['↓ basic-tikv-0 (store 1) [1/2] skipped: already on v8.5.1', '✔ basic-tikv-1 (store 2) [2/2]']);
  });

  it('draws colours only when the command decided the stream takes them', async () => {
    for (const enabled of [false, true]) {
      const { terminal, list, script } = setup({ colors: colors(enabled) });
      script.store('basic-tikv-1', 2).start(0, 2).end('done', 'store 2 restarted');
      script.warning('careful');
      await list.stop();
      const green = '\u001b[32m';
      const yellow = '\u001b[33m';
      const reset = '\u001b[39m';
      if (enabled) {
        assert.ok(terminal.raw.includes(`${green}✔${reset} basic-tikv-1`), 'a green tick');
        assert.ok(terminal.raw.includes(`${yellow}⚠${reset}`), 'a yellow warning sign');
      } else {
        for (const code of ['\u001b[3', '\u001b[2m', '\u001b[1m']) assert.ok(!terminal.raw.includes(code), `no colour code ${JSON.stringify(code)}`);
      }
      assert.equal(stripAnsi(terminal.screen()), '✔ basic-tikv-1 (store 2) [1/2]\n⚠ careful');
    }
  });

  it('holds other writes to the stream back while drawing and prints them after the list', async () => {
    const { terminal, list, script } = setup();
    script.store('basic-tikv-1', 2).start().beginEviction(3);
    await until(() => terminal.screen().includes('evict leaders'), () => terminal.screen());
    terminal.write('a stray line from somewhere else\n');
    await settle();
    assert.doesNotMatch(terminal.screen(), /stray/);
    script.store('basic-tikv-1', 2).end('done', 'store 2 restarted');
    await list.stop();
    const all = lines(terminal);
    assert.equal(all[0], '✔ basic-tikv-1 (store 2)');
    assert.equal(all.at(-1), 'a stray line from somewhere else');
  });

  it('leaves signals to the command and percent signs in reasons alone', async () => {
    const { terminal, list, script } = setup();
    const before = process.listeners('SIGINT').length;
    script.store('basic-tikv-1', 2).start().beginEviction(3).wait('store-up', 'store 2 is 100% Disconnected %s %%');
    await until(() => terminal.screen().includes('Disconnected'), () => terminal.screen());
    assert.ok(!process.listeners('SIGINT').some((listener) => listener.name.includes('signalHandler')), 'listr2 registered a SIGINT handler');
    assert.ok(process.listeners('SIGINT').length <= before + 1);
    assert.match(terminal.screen(), /› store 2 is 100% Disconnected %s %% · 0s \(/);
    await list.stop();
  });

  it('falls back to plain log lines when its own bookkeeping fails, and still ends', async () => {
    const terminal = new VirtualTerminal();
    let broken = false;
    const now = (): number => {
      if (broken) throw new Error('boom');
      return T0;
    };
    const list = new TaskList({ stream: terminal, colors: colors(false), now });
    const script = new EventScript(list);
    const store = script.store('basic-tikv-1', 2).start(0, 2).beginEviction(3);
    await settle();
    broken = true;
    store.draining(3);
    await settle();
    store.end('done', 'store 2 restarted');
    script.store('basic-tikv-2', 3).start(1, 2);
    await list.stop();
    const screen = terminal.screen();
    assert.match(screen, /the task list failed \(boom\); progress continues as plain lines/);
    assert.match(screen, /2026-11-21T10:00:00Z basic-tikv-2 store 3: starting \(2\/2\)/);
  });

  it('falls back to plain log lines when listr2 fails to draw, and releases the stream', async () => {
    const terminal = new VirtualTerminal();
    let broken = false;
    const base = colors(false);
    const failing: Colors = {
      ...base,
      dim: (text) => {
        if (broken) throw new Error('cannot draw');
        return text;
      },
    };
    const list = new TaskList({ stream: terminal, colors: failing, now: () => T0 });
    const script = new EventScript(list);
    script.store('basic-tikv-1', 2).start(0, 2).beginEviction(3);
    await until(() => terminal.screen().includes('evict leaders'), () => terminal.screen());
    broken = true;
    await list.stop();
    terminal.write('after the list\n');
    const screen = terminal.screen();
    assert.match(screen, /the task list failed \(cannot draw\); progress continues as plain lines/);
    assert.equal(screen.split('\n').at(-1), 'after the list');
  });
});

describe('ui/task-list and the step runner', () => {
  it('shows an interrupt during the eviction and the step runner cleaning up', async () => {
    const world = new FakeWorld({ leaders: 300 });
    const terminal = new VirtualTerminal({ columns: 200 });
    const list = new TaskList({ stream: terminal, colors: colors(false), now: () => world.clock.now(), tickMs: 60_000 });
    const controller = new AbortController();
    const progress: Progress = {
      emit: (event) => {
        list.emit(event);
        if (event.type === 'step' && event.step.kind === 'wait' && /holds 140 leader/.test(event.step.reason)) controller.abort();
      },
    };
    list.emit({ type: 'store-start', podName: 'basic-tikv-1', storeId: 2, index: 0, total: 1, atMs: world.clock.now() });
    const error = await runStoreStep({ ...world.deps(), progress }, target(), world.member('basic-tikv-1'), {
      runId: 'run-1',
      command: 'restart',
      holder: 'tester',
      pollIntervalMs: 1_000,
      cleanupTimeoutMs: 5_000,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    assert.ok(error instanceof StoreStepError);
    await list.stop();
    const screen = lines(terminal);
    assert.match(screen[0], /^✖ basic-tikv-1 \(store 2\) interrupted after \ds$/);
    assert.deepEqual(screen.slice(1, 3).map((l) => l.replace(/ \d+s$/, '')), ['  ✔ evict leaders', '  ✖ wait for 0 leaders']);
    assert.equal(screen[3], '    › interrupted while restarting store 2 (pod basic-tikv-1, not restarted); the evict-leader scheduler of store 2 was removed');
    assert.deepEqual(world.pd.evictingStoreIds(), []);
  });
});
