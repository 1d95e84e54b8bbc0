import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/kube/kube.ts';
import { ObjectStore } from './object-store.ts';
import { EndpointsController } from './endpoints-controller.ts';

const Pod = { apiVersion: 'v1', kind: 'Pod' };
const Service = { apiVersion: 'v1', kind: 'Service' };
const Endpoints = { apiVersion: 'v1', kind: 'Endpoints' };
const EndpointSlice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' };

interface Subset {
  addresses?: { ip: string; hostname?: string; targetRef: { name: string } }[];
  notReadyAddresses?: { ip: string; targetRef: { name: string } }[];
  ports?: { name?: string; port: number; protocol: string }[];
}

function pdPod(store: ObjectStore, name: string, ip: string, ready: boolean, portName = 'client'): void {
  store.create({
    ...Pod,
    metadata: { name, namespace: 'tidb', labels: { 'app.kubernetes.io/component': 'pd' } },
    spec: { hostname: name, subdomain: 'basic-pd-peer', containers: [{ name: 'pd', image: 'pingcap/pd:v8.5.0', ports: [{ name: portName, containerPort: 2379 }] }] },
  });
  store.patch(Pod, 'tidb', name, { spec: { nodeName: 'sim-node-1' } }, 'merge');
  store.patch(Pod, 'tidb', name, { status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }, 'merge', { subresource: 'status' });
}

describe('simulated endpoints and EndpointSlice controller', () => {
  let store: ObjectStore;
  let controller: EndpointsController;

  beforeEach(() => {
    store = new ObjectStore();
    controller = new EndpointsController({ store });
    controller.start();
  });
  afterEach(() => controller.stop());

  async function settle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await controller.idle();
  }

  function service(name: string, extra: Record<string, unknown> = {}): void {
    store.create({
      ...Service,
      metadata: { name, namespace: 'tidb', labels: { 'app.kubernetes.io/component': 'pd' } },
      spec: { selector: { 'app.kubernetes.io/component': 'pd' }, ports: [{ name: 'client', port: 2379, targetPort: 'client' }], ...extra },
    });
  }

  it('lists ready pods as addresses and others as notReadyAddresses, resolving named target ports', async () => {
    service('basic-pd');
    pdPod(store, 'basic-pd-0', '10.244.0.2', true);
    pdPod(store, 'basic-pd-1', '10.244.0.3', false);
    await settle();
    const endpoints = store.get<KubeObject>(Endpoints, 'tidb', 'basic-pd')!;
    const subsets = endpoints.subsets as Subset[];
    assert.equal(subsets.length, 1);
    assert.deepEqual(subsets[0].addresses!.map((a) => a.targetRef.name), ['basic-pd-0']);
    assert.deepEqual(subsets[0].notReadyAddresses!.map((a) => a.targetRef.name), ['basic-pd-1']);
    assert.deepEqual(subsets[0].ports, [{ name: 'client', port: 2379, protocol: 'TCP' }]);
    assert.equal(subsets[0].addresses![0].hostname, undefined, 'hostname only for the service named by the pod subdomain');
  });

  it('follows readiness changes and drops terminating pods from Endpoints but keeps them in slices as terminating', async () => {
    service('basic-pd');
    pdPod(store, 'basic-pd-0', '10.244.0.2', false);
    await settle();
    store.patch(Pod, 'tidb', 'basic-pd-0', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', { subresource: 'status' });
    await settle();
    assert.equal((store.get<KubeObject>(Endpoints, 'tidb', 'basic-pd')!.subsets as Subset[])[0].addresses!.length, 1);
    store.delete(Pod, 'tidb', 'basic-pd-0');
    await settle();
    assert.equal(store.get<KubeObject>(Endpoints, 'tidb', 'basic-pd')!.subsets, undefined);
    const slices = store.list<KubeObject>(EndpointSlice, { namespace: 'tidb', labelSelector: 'kubernetes.io/service-name=basic-pd' }).items;
    assert.equal(slices.length, 1);
    const endpoint = (slices[0].endpoints as { conditions: Record<string, boolean> }[])[0];
    assert.deepEqual(endpoint.conditions, { ready: false, serving: true, terminating: true });
    assert.match(slices[0].metadata.name, /^basic-pd-[a-z0-9]{5}$/);
    assert.equal(slices[0].metadata.ownerReferences![0].kind, 'Service');
  });

  it('sets hostnames for the headless service named by the pods subdomain and publishes not-ready addresses when asked', async () => {
    service('basic-pd-peer', { clusterIP: 'None', publishNotReadyAddresses: true });
    pdPod(store, 'basic-pd-0', '10.244.0.2', false);
    await settle();
    const subsets = store.get<KubeObject>(Endpoints, 'tidb', 'basic-pd-peer')!.subsets as Subset[];
    assert.deepEqual(subsets[0].addresses!.map((a) => [a.hostname, a.ip]), [['basic-pd-0', '10.244.0.2']]);
  });

  it('splits pods whose named port resolves differently, and leaves out pods without the port', async () => {
    service('basic-pd');
    pdPod(store, 'basic-pd-0', '10.244.0.2', true);
    store.create({
      ...Pod, metadata: { name: 'odd', namespace: 'tidb', labels: { 'app.kubernetes.io/component': 'pd' } },
      spec: { containers: [{ name: 'pd', image: 'x:1', ports: [{ name: 'client', containerPort: 12379 }] }] },
    });
    store.patch(Pod, 'tidb', 'odd', { status: { phase: 'Running', podIP: '10.244.1.9', conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', { subresource: 'status' });
    await settle();
    const subsets = store.get<KubeObject>(Endpoints, 'tidb', 'basic-pd')!.subsets as Subset[];
    assert.deepEqual(subsets.map((s) => s.ports![0].port).sort(), [12379, 2379]);
    assert.equal(store.list<KubeObject>(EndpointSlice, { namespace: 'tidb' }).items.length, 2);
  });

  it('removes Endpoints and slices with the service', async () => {
    service('basic-pd');
    pdPod(store, 'basic-pd-0', '10.244.0.2', true);
    await settle();
    store.delete(Service, 'tidb', 'basic-pd');
    await settle();
    assert.equal(store.get(Endpoints, 'tidb', 'basic-pd'), undefined);
    assert.equal(store.list(EndpointSlice, { namespace: 'tidb' }).items.length, 0);
  });
});
