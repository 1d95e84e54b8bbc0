/**
 * Server-side printing: the `meta.k8s.io/v1` `Table` the API server returns when a client (kubectl get) asks with
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Columns and cell values follow the API server's printers
 * (pods: NAME READY STATUS RESTARTS AGE, wide: IP NODE NOMINATED NODE READINESS GATES; statefulsets; services …),
 * custom resources use their CRD's `additionalPrinterColumns` (Age by default), other kinds Name + Created At.
 */
import type { KubeObject } from '../../../src/kube/kube.ts';
import type { PrinterColumn, ResourceDef } from './resources.ts';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumn[];
  rows: TableRow[];
}

export type IncludeObject = 'None' | 'Object' | 'Metadata';

type Obj = Record<string, unknown>;

const nameDescription = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const ageDescription = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

function col(name: string, type = 'string', description = '', priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority };
}

const nameColumn = col('Name', 'string', nameDescription, 0, 'name');
const ageColumn = col('Age', 'string', ageDescription);

/** Kubernetes' duration.HumanDuration: `45s`, `3m20s`, `15m`, `5h10m`, `2d3h`, `400d`. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(timestamp: unknown): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  return humanDuration(Date.now() - Date.parse(timestamp));
}

function asObj(value: unknown): Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
}

function asArray(value: unknown): Obj[] {
  return Array.isArray(value) ? (value as Obj[]) : [];
}

function podCells(pod: KubeObject): unknown[] {
  const spec = asObj(pod.spec);
  const status = asObj(pod.status);
  const containers = asArray(spec.containers);
  const statuses = asArray(status.containerStatuses);
  let reason = String(status.reason ?? status.phase ?? '');
  let restarts = 0;
  let ready = 0;
  let hasRunning = false;
  let lastRestart = 0;
  for (let i = statuses.length - 1; i >= 0; i--) {
    const c = statuses[i];
    restarts += Number(c.restartCount ?? 0);
    const finished = asObj(asObj(c.lastState).terminated).finishedAt;
    if (typeof finished === 'string') lastRestart = Math.max(lastRestart, Date.parse(finished));
    const state = asObj(c.state);
    const waiting = asObj(state.waiting);
    const terminated = state.terminated === undefined ? undefined : asObj(state.terminated);
    if (waiting.reason) reason = String(waiting.reason);
    else if (terminated && terminated.reason) reason = String(terminated.reason);
    else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
    else if (c.ready === true && state.running !== undefined) {
      hasRunning = true;
      ready++;
    }
  }
  if (reason === 'Completed' && hasRunning) {
    reason = asArray(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  const restartText = restarts > 0 && lastRestart > 0 ? `${restarts} (${humanDuration(Date.now() - lastRestart)} ago)` : String(restarts);
  const gates = asArray(spec.readinessGates);
  const conditions = asArray(status.conditions);
  const gateText = gates.length === 0 ? '<none>'
    : `${gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length}/${gates.length}`;
  return [
    pod.metadata.name,
    `${ready}/${containers.length}`,
    reason,
    restartText,
    age(pod.metadata.creationTimestamp),
    status.podIP ?? '<none>',
    spec.nodeName ?? '<none>',
    status.nominatedNodeName ?? '<none>',
    gateText,
  ];
}

function servicePorts(spec: Obj): string {
  const ports = asArray(spec.ports);
  if (ports.length === 0) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
}

function selectorText(selector: unknown): string {
  const entries = Object.entries(asObj(selector));
  return entries.length === 0 ? '<none>' : entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');
}

function podTemplateContainers(object: KubeObject): Obj[] {
  return asArray(asObj(asObj(asObj(object.spec).template).spec).containers);
}

function endpointsText(subsets: Obj[]): string {
  const out: string[] = [];
  for (const s of subsets) {
    for (const a of asArray(s.addresses)) {
      const ports = asArray(s.ports);
      if (ports.length === 0) out.push(String(a.ip));
      else for (const p of ports) out.push(`${a.ip}:${p.port}`);
    }
  }
  if (out.length === 0) return '<none>';
  return out.length > 3 ? `${out.slice(0, 3).join(',')} + ${out.length - 3} more...` : out.join(',');
}

function bindingCells(o: KubeObject): unknown[] {
  const ref = asObj(o.roleRef);
  const subjects = asArray(o.subjects);
  const names = (kind: string) => subjects.filter((x) => x.kind === kind).map((x) => (kind === 'ServiceAccount' ? `${x.namespace ?? ''}/${x.name}` : String(x.name))).join(', ');
  return [o.metadata.name, `${ref.kind ?? ''}/${ref.name ?? ''}`, age(o.metadata.creationTimestamp), names('User'), names('Group'), names('ServiceAccount')];
}

interface Printer {
  columns: TableColumn[];
  cells: (object: KubeObject) => unknown[];
}

const printers: Record<string, Printer> = {
  Pod: {
    columns: [
      nameColumn,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      ageColumn,
      col('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
      col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    cells: podCells,
  },
  'apps/StatefulSet': {
    columns: [nameColumn, col('Ready', 'string', 'Number of the pod with ready state'), ageColumn, col('Containers', 'string', 'Names of each container in the template.', 1), col('Images', 'string', 'Images referenced by each container in the template.', 1)],
    cells: (o) => {
      const containers = podTemplateContainers(o);
      return [o.metadata.name, `${asObj(o.status).readyReplicas ?? 0}/${asObj(o.spec).replicas ?? 0}`, age(o.metadata.creationTimestamp), containers.map((c) => c.name).join(','), containers.map((c) => c.image).join(',')];
    },
  },
  Service: {
    columns: [
      nameColumn, col('Type', 'string', 'The type of service.'), col('Cluster-IP', 'string', 'The cluster IP assigned to the service.'),
      col('External-IP', 'string', 'The external IPs assigned to the service.'), col('Port(s)', 'string', 'The ports of the service.'), ageColumn,
      col('Selector', 'string', 'The selector of the service.', 1),
    ],
    cells: (o) => {
      const spec = asObj(o.spec);
      const external = asArray(asObj(asObj(o.status).loadBalancer).ingress).map((i) => i.ip ?? i.hostname);
      const externalIps = [...(Array.isArray(spec.externalIPs) ? (spec.externalIPs as string[]) : []), ...external];
      return [o.metadata.name, spec.type ?? 'ClusterIP', spec.clusterIP ?? '<none>', externalIps.length > 0 ? externalIps.join(',') : (spec.type === 'LoadBalancer' ? '<pending>' : '<none>'), servicePorts(spec), age(o.metadata.creationTimestamp), selectorText(spec.selector)];
    },
  },
  Node: {
    columns: [
      nameColumn, col('Status', 'string', 'The status of the node'), col('Roles', 'string', 'The roles of the node'), ageColumn,
      col('Version', 'string', 'Kubelet Version reported by the node.'), col('Internal-IP', 'string', 'List of internal IPs.', 1),
      col('External-IP', 'string', 'List of external IPs.', 1), col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', 'string', 'Kernel Version reported by the node from \'uname -r\' (e.g. 3.16.0-0.bpo.4-amd64).', 1),
      col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    cells: (o) => {
      const status = asObj(o.status);
      const ready = asArray(status.conditions).find((c) => c.type === 'Ready');
      const state = [ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown', ...(asObj(o.spec).unschedulable ? ['SchedulingDisabled'] : [])].join(',');
      const roles = Object.keys(o.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length));
      const addresses = asArray(status.addresses);
      const info = asObj(status.nodeInfo);
      const address = (type: string) => addresses.filter((a) => a.type === type).map((a) => a.address).join(',') || '<none>';
      return [o.metadata.name, state, roles.length > 0 ? roles.join(',') : '<none>', age(o.metadata.creationTimestamp), info.kubeletVersion ?? '', address('InternalIP'), address('ExternalIP'), info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
    },
  },
  PersistentVolumeClaim: {
    columns: [
      nameColumn, col('Status', 'string', 'The status of the claim'), col('Volume', 'string', 'The volume bound to the claim'),
      col('Capacity', 'string', 'The capacity of the claim'), col('Access Modes', 'string', 'The access modes of the claim'),
      col('StorageClass', 'string', 'The storage class of the claim'), col('VolumeAttributesClass', 'string', 'The volume attributes class of the claim'), ageColumn,
      col('VolumeMode', 'string', 'The volume mode of the claim', 1),
    ],
    cells: (o) => {
      const spec = asObj(o.spec);
      const status = asObj(o.status);
      const modes = (Array.isArray(status.accessModes) ? status.accessModes : []).map((m) => ({ ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' } as Record<string, string>)[String(m)] ?? String(m)).join(',');
      return [o.metadata.name, status.phase ?? 'Pending', spec.volumeName ?? '', asObj(status.capacity).storage ?? '', modes, spec.storageClassName ?? '<unset>', '<unset>', age(o.metadata.creationTimestamp), spec.volumeMode ?? 'Filesystem'];
    },
  },
  Namespace: {
    columns: [nameColumn, col('Status', 'string', 'The status of the namespace'), ageColumn],
    cells: (o) => [o.metadata.name, asObj(o.status).phase ?? '', age(o.metadata.creationTimestamp)],
  },
  Secret: {
    columns: [nameColumn, col('Type', 'string', 'The type of the secret'), col('Data', 'string', 'The number of entries in the secret'), ageColumn],
    cells: (o) => [o.metadata.name, o.type ?? 'Opaque', Object.keys(asObj(o.data)).length, age(o.metadata.creationTimestamp)],
  },
  ConfigMap: {
    columns: [nameColumn, col('Data', 'string', 'Number of data entries in ConfigMap'), ageColumn],
    cells: (o) => [o.metadata.name, Object.keys(asObj(o.data)).length + Object.keys(asObj(o.binaryData)).length, age(o.metadata.creationTimestamp)],
  },
  Endpoints: {
    columns: [nameColumn, col('Endpoints', 'string', 'Endpoints of the resource'), ageColumn],
    cells: (o) => [o.metadata.name, endpointsText(asArray(o.subsets)), age(o.metadata.creationTimestamp)],
  },
  'discovery.k8s.io/EndpointSlice': {
    columns: [nameColumn, col('AddressType', 'string', 'The type of address'), col('Ports', 'string', 'Ports of the slice'), col('Endpoints', 'string', 'Addresses of the slice'), ageColumn],
    cells: (o) => {
      const ports = asArray(o.ports).map((p) => String(p.port));
      const addresses = asArray(o.endpoints).flatMap((e) => (Array.isArray(e.addresses) ? (e.addresses as string[]) : []));
      return [o.metadata.name, o.addressType ?? '', ports.length > 0 ? ports.join(',') : '<unset>', addresses.length === 0 ? '<unset>' : addresses.length > 3 ? `${addresses.slice(0, 3).join(',')} + ${addresses.length - 3} more...` : addresses.join(','), age(o.metadata.creationTimestamp)];
    },
  },
  'coordination.k8s.io/Lease': {
    columns: [nameColumn, col('Holder', 'string', 'The holder of the lease'), ageColumn],
    cells: (o) => [o.metadata.name, asObj(o.spec).holderIdentity ?? '', age(o.metadata.creationTimestamp)],
  },
  'rbac.authorization.k8s.io/RoleBinding': {
    columns: [nameColumn, col('Role', 'string', 'Role is the role being bound'), ageColumn, col('Users', 'string', 'Users in the binding', 1), col('Groups', 'string', 'Groups in the binding', 1), col('ServiceAccounts', 'string', 'ServiceAccounts in the binding', 1)],
    cells: bindingCells,
  },
  'rbac.authorization.k8s.io/ClusterRoleBinding': {
    columns: [nameColumn, col('Role', 'string', 'Role is the role being bound'), ageColumn, col('Users', 'string', 'Users in the binding', 1), col('Groups', 'string', 'Groups in the binding', 1), col('ServiceAccounts', 'string', 'ServiceAccounts in the binding', 1)],
    cells: bindingCells,
  },
  'apps/ControllerRevision': {
    columns: [nameColumn, col('Controller', 'string', 'Controller of the object'), col('Revision', 'string', 'Revision of the ControllerRevision'), ageColumn],
    cells: (o) => {
      const owner = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
      const controller = owner ? `${owner.kind.toLowerCase()}.${owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : ''}/${owner.name}`.replace('./', '/') : '<none>';
      return [o.metadata.name, controller, o.revision ?? 0, age(o.metadata.creationTimestamp)];
    },
  },
  Event: {
    columns: [
      col('Last Seen', 'string', 'Time when last event occurred'), col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
      col('Reason', 'string', 'Reason of the event'), col('Object', 'string', 'Object the event is about'), col('Message', 'string', 'A human-readable description of the status of this operation.'),
    ],
    cells: (o) => {
      const involved = asObj(o.involvedObject);
      const last = o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
      return [age(last), o.type ?? '', o.reason ?? '', `${String(involved.kind ?? '').toLowerCase()}/${involved.name ?? ''}`, o.message ?? ''];
    },
  },
};

/** Evaluates the JSONPath subset printer columns use: `.a.b`, `[0]`, `[*]`, `[?(@.type=="Ready")]`. */
export function evaluateJsonPath(object: unknown, path: string): unknown[] {
  let current: unknown[] = [object];
  const tokens = path.replace(/^\{|\}$/g, '').match(/\.[^.[\]]+|\[[^\]]*\]/g) ?? [];
  for (const token of tokens) {
    const next: unknown[] = [];
    for (const value of current) {
      if (token.startsWith('.')) {
        const key = token.slice(1);
        if (key === '*') next.push(...(Array.isArray(value) ? value : Object.values(asObj(value))));
        else if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, key)) next.push((value as Obj)[key]);
        continue;
      }
      const inner = token.slice(1, -1);
      const list = Array.isArray(value) ? value : [];
      if (inner === '*') next.push(...list);
      else if (/^-?\d+$/.test(inner)) {
        const index = Number(inner);
        const item = list.at(index);
        if (item !== undefined) next.push(item);
      } else {
        const filter = inner.match(/^\?\(@\.([\w.-]+)\s*==\s*["']?([^"']*)["']?\)$/);
        if (filter) {
          for (const item of list) if (String(evaluateJsonPath(item, `.${filter[1]}`)[0]) === filter[2]) next.push(item);
        } else if (/^['"].*['"]$/.test(inner)) {
          const key = inner.slice(1, -1);
          if (Object.hasOwn(asObj(value), key)) next.push(asObj(value)[key]);
        }
      }
    }
    current = next;
  }
  return current;
}

function customCells(columns: PrinterColumn[], object: KubeObject): unknown[] {
  return [object.metadata.name, ...columns.map((c) => {
    const values = evaluateJsonPath(object, c.jsonPath);
    if (values.length === 0) return null;
    if (c.type === 'date') return age(values[0]);
    if (values.length === 1) {
      const v = values[0];
      if (c.type === 'integer' || c.type === 'number') return typeof v === 'number' ? v : Number(v);
      if (c.type === 'boolean') return Boolean(v);
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    return values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
  })];
}

function printerFor(resource: ResourceDef, version: string): Printer {
  if (resource.custom) {
    const configured = resource.printerColumns?.[version];
    const columns: PrinterColumn[] = configured && configured.length > 0 ? configured : [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: ageDescription }];
    return {
      columns: [nameColumn, ...columns.map((c) => col(c.name, c.type === 'date' ? 'date' : c.type, c.description ?? '', c.priority ?? 0, c.format ?? ''))],
      cells: (o) => customCells(columns, o),
    };
  }
  const key = resource.group === '' ? resource.kind : `${resource.group}/${resource.kind}`;
  const printer = printers[key];
  if (printer) return printer;
  return {
    columns: [nameColumn, col('Created At', 'date', ageDescription)],
    cells: (o) => [o.metadata.name, o.metadata.creationTimestamp ?? ''],
  };
}

function rowObject(object: KubeObject, include: IncludeObject, tableApiVersion: string): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return object;
  return { kind: 'PartialObjectMetadata', apiVersion: tableApiVersion, metadata: object.metadata };
}

/** The Table for a list of objects (or one object) of a resource at a served version. */
export function toTable(
  resource: ResourceDef,
  version: string,
  objects: KubeObject[],
  options: { resourceVersion?: string; continue?: string; includeObject?: IncludeObject; noHeaders?: boolean; tableVersion?: 'v1' | 'v1beta1' } = {},
): Table {
  const printer = printerFor(resource, version);
  const apiVersion = `meta.k8s.io/${options.tableVersion ?? 'v1'}`;
  const include = options.includeObject ?? 'Metadata';
  const metadata: Table['metadata'] = {};
  if (options.resourceVersion !== undefined) metadata.resourceVersion = options.resourceVersion;
  if (options.continue) metadata.continue = options.continue;
  return {
    kind: 'Table',
    apiVersion,
    metadata,
    columnDefinitions: options.noHeaders ? [] : printer.columns,
    rows: objects.map((o) => {
      const row: TableRow = { cells: printer.cells(o).slice(0, printer.columns.length) };
      const obj = rowObject(o, include, apiVersion);
      if (obj !== undefined) row.object = obj;
      return row;
    }),
  };
}
