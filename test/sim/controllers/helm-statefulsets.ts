/**
 * Plain StatefulSet deployments of PD and TiKV, as a Helm chart or hand-written manifests make them (topology 4 of
 * topologies.md): StatefulSets `<release>-pd` / `<release>-tikv`, services `<release>-pd` (client, labelled
 * `app.kubernetes.io/component=pd`), `<release>-pd-peer` and `<release>-tikv-peer` (headless). No operator: the
 * StatefulSet controller alone acts on them (`RollingUpdate` with a partition, or `OnDelete`). The seed's
 * tikv-operator topology also deploys its PD this way (that operator manages TiKV only).
 */
import type { KubeObject } from '../../../src/kube/kube.ts';

/** What to deploy. */
export interface HelmReleaseOptions {
  release: string;
  namespace: string;
  pdReplicas: number;
  tikvReplicas: number;
  /** Image tags, e.g. `v8.5.0`. */
  pdVersion: string;
  tikvVersion: string;
  /** TiKV StatefulSet update strategy (default RollingUpdate with partition 0, as charts ship it). */
  updateStrategy?: 'RollingUpdate' | 'OnDelete';
  /** Serve PD/TiKV over TLS with the server certificates of `<release>-pd-tls` / `<release>-tikv-tls`. */
  tls?: boolean;
  /** Extra labels on every object and pod (the tikv-operator topology adds `tikv.org/cluster`). */
  extraLabels?: Record<string, string>;
  /** `app.kubernetes.io/managed-by` (default `Helm`). */
  managedBy?: string;
}

/** `app.kubernetes.io/*` labels of one component of a release (the pod selector). */
export function releaseLabels(release: string, component: 'pd' | 'tikv'): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': release,
    'app.kubernetes.io/component': component,
  };
}

/** Every object of the release, services first. */
export function helmReleaseObjects(options: HelmReleaseOptions): KubeObject[] {
  return [...pdObjects(options), ...tikvObjects(options)];
}

/** PD's services and StatefulSet. */
export function pdObjects(options: HelmReleaseOptions): KubeObject[] {
  const { release, namespace } = options;
  const selector = releaseLabels(release, 'pd');
  const labels = { ...selector, ...common(options) };
  const scheme = options.tls ? 'https' : 'http';
  return [
    service(`${release}-pd`, namespace, labels, selector, [{ name: 'client', port: 2379 }]),
    service(`${release}-pd-peer`, namespace, labels, selector, [{ name: 'client', port: 2379 }, { name: 'peer', port: 2380 }], true),
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: `${release}-pd`, namespace, labels },
      spec: {
        replicas: options.pdReplicas,
        selector: { matchLabels: selector },
        serviceName: `${release}-pd-peer`,
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'pd',
                image: `pingcap/pd:${options.pdVersion}`,
                imagePullPolicy: 'IfNotPresent',
                command: ['/pd-server'],
                // Name and advertised URLs come from the pod's hostname (`<pod>.<release>-pd-peer.<ns>.svc`).
                args: [
                  '--data-dir=/var/lib/pd',
                  `--client-urls=${scheme}://0.0.0.0:2379`,
                  `--peer-urls=${scheme}://0.0.0.0:2380`,
                  `--initial-cluster=${initialCluster(release, namespace, options.pdReplicas, scheme)}`,
                ],
                env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                ports: [{ name: 'client', containerPort: 2379 }, { name: 'peer', containerPort: 2380 }],
                readinessProbe: { tcpSocket: { port: 2379 } },
                volumeMounts: options.tls ? [{ name: 'tls', mountPath: '/var/lib/pd-tls', readOnly: true }] : [],
              },
            ],
            volumes: options.tls ? [{ name: 'tls', secret: { secretName: `${release}-pd-tls` } }] : [],
            terminationGracePeriodSeconds: 30,
          },
        },
      },
    },
  ];
}

/** TiKV's headless service and StatefulSet. */
export function tikvObjects(options: HelmReleaseOptions): KubeObject[] {
  const { release, namespace } = options;
  const selector = releaseLabels(release, 'tikv');
  const labels = { ...selector, ...common(options) };
  const scheme = options.tls ? 'https' : 'http';
  const onDelete = options.updateStrategy === 'OnDelete';
  return [
    service(`${release}-tikv-peer`, namespace, labels, selector, [{ name: 'server', port: 20160 }, { name: 'status', port: 20180 }], true),
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: `${release}-tikv`, namespace, labels },
      spec: {
        replicas: options.tikvReplicas,
        selector: { matchLabels: selector },
        serviceName: `${release}-tikv-peer`,
        podManagementPolicy: 'Parallel',
        updateStrategy: onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
        template: {
          metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '20180' } },
          spec: {
            containers: [
              {
                name: 'tikv',
                image: `pingcap/tikv:${options.tikvVersion}`,
                imagePullPolicy: 'IfNotPresent',
                command: ['/tikv-server'],
                // The advertised address is the pod's hostname: `<pod>.<release>-tikv-peer.<ns>.svc:20160`.
                args: [`--pd=${scheme}://${release}-pd:2379`, '--addr=0.0.0.0:20160', '--status-addr=0.0.0.0:20180', '--data-dir=/var/lib/tikv'],
                env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
                ports: [{ name: 'server', containerPort: 20160 }, { name: 'status', containerPort: 20180 }],
                readinessProbe: { tcpSocket: { port: 20160 } },
                volumeMounts: options.tls ? [{ name: 'tls', mountPath: '/var/lib/tikv-tls', readOnly: true }] : [],
              },
            ],
            volumes: options.tls ? [{ name: 'tls', secret: { secretName: `${release}-tikv-tls` } }] : [],
            terminationGracePeriodSeconds: 30,
          },
        },
      },
    },
  ];
}

function common(options: HelmReleaseOptions): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': options.managedBy ?? 'Helm',
    ...(options.managedBy === undefined ? { 'helm.sh/chart': 'tikv-cluster-0.1.0' } : {}),
    ...(options.extraLabels ?? {}),
  };
}

function service(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
  ports: { name: string; port: number }[],
  headless = false,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: {
      ...(headless ? { clusterIP: 'None', publishNotReadyAddresses: true } : { type: 'ClusterIP' }),
      selector,
      ports: ports.map((p) => ({ ...p, protocol: 'TCP', targetPort: p.port })),
    },
  };
}

function initialCluster(release: string, namespace: string, replicas: number, scheme: string): string {
  return Array.from({ length: replicas }, (_, i) => `${release}-pd-${i}=${scheme}://${release}-pd-${i}.${release}-pd-peer.${namespace}.svc:2380`).join(',');
}
