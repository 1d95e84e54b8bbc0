import assert from 'node:assert/strict';
import { statusRunPhases } from '../../bench/status-phases.ts';
import type { HistoryEntry } from '../sim/history.ts';

const entry = (at: number, source: string, type: string, data: Record<string, unknown>): HistoryEntry => ({ at, source, type, data });

describe('bench: the phases of one status run', () => {
  const entries = [
    entry(90, 'kube', 'kube-request', { verb: 'list', resource: 'pods', user: 'admin' }), // before the run: not counted
    entry(130, 'kube', 'kube-request', { verb: 'get', resource: '', path: '/api', user: 'admin' }),
    entry(150, 'kube', 'kube-request', { verb: 'list', resource: 'statefulsets', user: 'admin' }),
    entry(151, 'kube', 'kube-request', { verb: 'list', resource: 'pods', user: 'someone-else' }),
    entry(170, 'kube', 'kube-request', { verb: 'create', resource: 'pods', subresource: 'portforward', name: 'basic-pd-0', user: 'admin' }),
    entry(180, 'pd', 'pd-request', { method: 'GET', path: '/pd/api/v1/stores', redirectedFrom: null }),
    entry(181, 'pd', 'pd-request', { method: 'GET', path: '/pd/api/v1/stores', redirectedFrom: 'basic-pd-1' }),
    entry(200, 'pd', 'pd-request', { method: 'GET', path: '/pd/api/v1/health', redirectedFrom: null }),
    entry(210, 'kube', 'kube-request', { verb: 'create', resource: 'pods', subresource: 'portforward', name: 'basic-tikv-0', user: 'admin' }),
    entry(230, 'tikv', 'tikv-request', { method: 'GET', path: '/metrics', podName: 'basic-tikv-0' }),
  ];

  it('splits the run at its first API request, first PD port-forward, last PD and last TiKV answer', () => {
    const phases = statusRunPhases(entries, 100, 260, 'admin');
    assert.deepEqual(phases, {
      startUpMs: 30,
      detectionMs: 40,
      pdMs: 30,
      tikvMs: 30,
      exitMs: 30,
      totalMs: 160,
      requests: { kube: 4, pd: 2, tikv: 1, portForwards: 2 },
    });
  });

  it('refuses a run that never reached PD', () => {
    assert.throws(() => statusRunPhases(entries.filter((e) => e.source !== 'pd'), 100, 260, 'admin'), /no Kubernetes, PD or port-forward request/);
  });
});
