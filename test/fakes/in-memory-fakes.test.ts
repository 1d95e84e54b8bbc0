import assert from 'node:assert/strict';
import { PdConnectionError, PdNotBootstrappedError, PdUnavailableError } from '../../src/pd/pd-errors.ts';
import { TikvMetricsConnectionError } from '../../src/tikv/tikv-metrics-errors.ts';
import { fakeStore, InMemoryPd, type InMemoryPdEvent } from './in-memory-pd.ts';
import { InMemoryTikvMetrics } from './in-memory-tikv-metrics.ts';

describe('in-memory PD', () => {
  it('moves an evicted store\'s leaders to the other Up stores a round at a time, keeping the total', async () => {
    const pd = new InMemoryPd({ drainPerRound: 30 });
    await pd.addEvictLeader(1);
    const counts = async () => (await pd.stores()).map((store) => store.leaderCount);
    assert.deepEqual(await counts(), [70, 115, 115]);
    assert.deepEqual(await counts(), [40, 130, 130]);
    assert.deepEqual(await counts(), [10, 145, 145]);
    assert.deepEqual(await counts(), [0, 150, 150]);
    assert.deepEqual(await counts(), [0, 150, 150]);
  });

  it('does not move leaders to stores that are evicting or not Up', async () => {
    const pd = new InMemoryPd({
      stores: [fakeStore({ storeId: 1 }), fakeStore({ storeId: 2 }), fakeStore({ storeId: 3, stateName: 'Disconnected' }), fakeStore({ storeId: 4 })],
      drainPerRound: 1000,
    });
    await pd.addEvictLeader(4);
    await pd.addEvictLeader(1);
    pd.advance();
    assert.deepEqual(
      pd.peekStores().map((store) => store.leaderCount),
      [0, 300, 100, 0],
    );
  });

  it('never drains with max-replicas 1, a single store, or a store told never to drain', async () => {
    const single = new InMemoryPd({ stores: [fakeStore({ storeId: 1 })] });
    await single.addEvictLeader(1);
    for (let i = 0; i < 5; i++) single.advance();
    assert.equal(single.peekStore(1)?.leaderCount, 100);

    const oneReplica = new InMemoryPd({ replication: { maxReplicas: 1 } });
    await oneReplica.addEvictLeader(2);
    for (let i = 0; i < 5; i++) oneReplica.advance();
    assert.equal(oneReplica.peekStore(2)?.leaderCount, 100);

    const stuck = new InMemoryPd();
    stuck.neverDrain(3);
    await stuck.addEvictLeader(3);
    for (let i = 0; i < 5; i++) stuck.advance();
    assert.equal(stuck.peekStore(3)?.leaderCount, 100);
  });

  it('gives a store its leaders back after its eviction ends, taking them from the busiest stores', async () => {
    const pd = new InMemoryPd({ drainPerRound: 1000, returnPerRound: 60 });
    await pd.addEvictLeader(2);
    pd.advance();
    assert.equal(pd.peekStore(2)?.leaderCount, 0);
    await pd.removeEvictLeader(2);
    pd.advance();
    assert.equal(pd.peekStore(2)?.leaderCount, 60);
    pd.advance();
    pd.advance();
    assert.deepEqual(
      pd.peekStores().map((store) => store.leaderCount),
      [100, 100, 100],
    );
  });

  it('restarts a store with a later start timestamp even within the same second, and a new version', async () => {
    const nowMs = 1_732_000_000_500;
    const pd = new InMemoryPd({ now: () => nowMs, stores: [1, 2, 3].map((storeId) => fakeStore({ storeId, startTimestampSec: 1_732_000_000 })) });
    pd.restartStore(1, { version: 'v8.5.1' });
    const first = pd.peekStore(1);
    assert.equal(first?.startTimestampSec, 1_732_000_001);
    assert.equal(first?.version, '8.5.1');
    assert.equal(first?.stateName, 'Up');
    pd.restartStore(1);
    assert.equal(pd.peekStore(1)?.startTimestampSec, 1_732_000_002);
  });

  it('re-elects a stopped store\'s leaders elsewhere and shows it Disconnected until it starts', async () => {
    const pd = new InMemoryPd();
    pd.stopStore(3);
    assert.deepEqual(
      pd.peekStores().map((store) => [store.stateName, store.leaderCount]),
      [
        ['Up', 150],
        ['Up', 150],
        ['Disconnected', 0],
      ],
    );
    pd.startStore(3);
    assert.equal(pd.peekStore(3)?.stateName, 'Up');
  });

  it('names evict-leader schedulers per store before PD v4.0, and lists each version\'s own schedulers', async () => {
    const legacy = new InMemoryPd({ pdVersion: 'v3.0.20' });
    await legacy.addEvictLeader(3);
    await legacy.addEvictLeader(1);
    assert.deepEqual(await legacy.evictLeaderState(), { storeIds: [1, 3], schedulerNames: ['evict-leader-scheduler-1', 'evict-leader-scheduler-3'] });
    assert.ok(!(await legacy.schedulers()).includes('evict-slow-store-scheduler'));

    const v855 = new InMemoryPd({ pdVersion: 'v8.5.5' });
    assert.ok((await v855.schedulers()).includes('evict-stopping-store-scheduler'));
    const v850 = new InMemoryPd({ pdVersion: 'v8.5.0' });
    const names = await v850.schedulers();
    assert.ok(names.includes('evict-slow-store-scheduler') && !names.includes('evict-stopping-store-scheduler'));
  });

  it('adds a store that is not Up, as PD does', async () => {
    const pd = new InMemoryPd({ stores: [fakeStore({ storeId: 1 }), fakeStore({ storeId: 2, stateName: 'Down' })] });
    await pd.addEvictLeader(2);
    assert.deepEqual(pd.evictingStoreIds(), [2]);
  });

  it('fails cluster calls with 503 while PD has no leader, and says so in members', async () => {
    const pd = new InMemoryPd({ leaderName: null });
    await assert.rejects(pd.stores(), PdUnavailableError);
    await assert.rejects(pd.addEvictLeader(1), PdUnavailableError);
    assert.equal((await pd.members()).leader, undefined);
    pd.setPdLeader('basic-pd-2');
    assert.equal((await pd.members()).leader?.name, 'basic-pd-2');
    assert.equal((await pd.stores()).length, 3);
  });

  it('answers not bootstrapped before any store registered', async () => {
    const pd = new InMemoryPd({ stores: [] });
    await assert.rejects(pd.stores(), (error: unknown) => error instanceof PdNotBootstrappedError && /not bootstrapped/.test(error.message));
    assert.equal(await pd.version(), 'v8.5.0');
  });

  it('fails injected calls the given number of times and records every call', async () => {
    const pd = new InMemoryPd();
    const lost = InMemoryPd.connectionLost('DELETE', '/pd/api/v1/schedulers/evict-leader-scheduler-1');
    pd.inject('removeEvictLeader', lost, 2);
    await pd.addEvictLeader(1);
    await assert.rejects(pd.removeEvictLeader(1), (error: unknown) => error === lost);
    await assert.rejects(pd.removeEvictLeader(1), PdConnectionError);
    assert.equal(await pd.removeEvictLeader(1), 'removed');
    assert.deepEqual(
      pd.calls.map((call) => call.method),
      ['addEvictLeader', 'removeEvictLeader', 'removeEvictLeader', 'removeEvictLeader'],
    );
    assert.equal(pd.callsOf('removeEvictLeader')[0].args[0], 1);
  });

  it('injects by argument: only the matching calls fail', async () => {
    const pd = new InMemoryPd();
    const boom = new Error('boom');
    pd.inject('store', (args) => (args[0] === 2 ? boom : undefined), Infinity);
    assert.equal((await pd.store(1)).storeId, 1);
    await assert.rejects(pd.store(2), (error: unknown) => error === boom);
    await assert.rejects(pd.store(2), (error: unknown) => error === boom);
  });

  it('stalls an injected call until the caller aborts', async () => {
    const pd = new InMemoryPd();
    pd.inject('stores', 'stall');
    const controller = new AbortController();
    const pending = pd.stores({ signal: controller.signal });
    const reason = new Error('Ctrl+C');
    controller.abort(reason);
    await assert.rejects(pending, (error: unknown) => error === reason);
  });

  it('reports what happened, in order, to a shared event log', async () => {
    const events: InMemoryPdEvent[] = [];
    const pd = new InMemoryPd({ drainPerRound: 1000, onEvent: (event) => events.push(event), now: () => 1_800_000_000_000 });
    await pd.addEvictLeader(1);
    await pd.stores();
    pd.restartStore(1);
    await pd.removeEvictLeader(1);
    assert.deepEqual(
      events.map((event) => event.type),
      ['evict-leader-added', 'leaders-zero', 'store-stopped', 'store-started', 'evict-leader-removed'],
    );
  });

  it('returns copies: changing a returned store changes nothing in PD', async () => {
    const pd = new InMemoryPd();
    const [store] = await pd.stores();
    store.leaderCount = 0;
    store.labels.zone = 'x';
    assert.equal(pd.peekStore(1)?.leaderCount, 100);
    assert.deepEqual(pd.peekStore(1)?.labels, {});
  });
});

describe('in-memory TiKV metrics', () => {
  it('reads the linked PD store of the pod, and a set value over it', async () => {
    const pd = new InMemoryPd();
    const metrics = new InMemoryTikvMetrics({ pd });
    assert.equal(await metrics.leaderCount('basic-tikv-1'), 100);
    metrics.set('basic-tikv-1', 0);
    assert.equal(await metrics.leaderCount('basic-tikv-1'), 0);
    metrics.unset('basic-tikv-1');
    assert.equal(await metrics.leaderCount('basic-tikv-1'), 100);
    assert.deepEqual(metrics.reads, ['basic-tikv-1', 'basic-tikv-1', 'basic-tikv-1']);
  });

  it('sees leaders leave an evicted store without PD reads moving them', async () => {
    const pd = new InMemoryPd({ drainPerRound: 1000 });
    const metrics = new InMemoryTikvMetrics({ pd });
    await pd.addEvictLeader(1);
    assert.equal(await metrics.leaderCount('basic-tikv-0'), 100, 'reading metrics is not a PD scheduling round');
    pd.advance();
    assert.equal(await metrics.leaderCount('basic-tikv-0'), 0);
  });

  it('fails like an unreachable pod for a stopped store or an unknown pod', async () => {
    const pd = new InMemoryPd();
    const metrics = new InMemoryTikvMetrics({ pd });
    pd.stopStore(3);
    await assert.rejects(metrics.leaderCount('basic-tikv-2'), TikvMetricsConnectionError);
    await assert.rejects(metrics.leaderCount('nope-0'), (error: unknown) => error instanceof TikvMetricsConnectionError && error.podName === 'nope-0');
  });

  it('works without PD from fixed counts, and injects failures per pod', async () => {
    const metrics = new InMemoryTikvMetrics({ leaderCounts: { 'basic-tikv-0': 7 } });
    metrics.inject('basic-tikv-0', InMemoryTikvMetrics.unreachable('basic-tikv-0'));
    await assert.rejects(metrics.leaderCount('basic-tikv-0'), TikvMetricsConnectionError);
    assert.equal(await metrics.leaderCount('basic-tikv-0'), 7);
  });
});
