/**
 * API-server defaulting and validation for the built-in kinds that matter to the simulator (what a real server adds
 * to a pod, StatefulSet, Service, Namespace or Secret on create and update), so objects read back look like a real
 * cluster's.
 */
import type { KubeObject } from '../../../src/kube/kube.ts';
import type { ResourceDef } from './resources.ts';
import { badRequest, invalid, type FieldCause } from './kube-status.ts';
import { deepEqual } from './patch.ts';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setDefault(target: Obj, key: string, value: unknown): void {
  if (target[key] === undefined) target[key] = value;
}

/** Defaults of a PodSpec (pods and workload templates). */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers']) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      if (!isObject(c)) continue;
      const image = typeof c.image === 'string' ? c.image : '';
      const tag = image.includes('@') ? 'digest' : (image.split('/').at(-1) ?? '').split(':')[1];
      setDefault(c, 'imagePullPolicy', tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent');
      setDefault(c, 'terminationMessagePath', '/dev/termination-log');
      setDefault(c, 'terminationMessagePolicy', 'File');
      setDefault(c, 'resources', {});
      if (Array.isArray(c.ports)) for (const p of c.ports) if (isObject(p)) setDefault(p, 'protocol', 'TCP');
    }
  }
}

let nextClusterIp = 10;

/** Applies the defaults a real API server (and its admission plugins) adds on create; status reset on create. */
export function applyCreateDefaults(resource: ResourceDef, object: KubeObject): void {
  const key = resource.group === '' ? resource.kind : `${resource.group}/${resource.kind}`;
  const spec = isObject(object.spec) ? object.spec : undefined;
  switch (key) {
    case 'Pod': {
      const s = spec ?? (object.spec = {}) as Obj;
      defaultPodSpec(s as Obj);
      setDefault(s as Obj, 'serviceAccountName', 'default');
      setDefault(s as Obj, 'serviceAccount', (s as Obj).serviceAccountName);
      setDefault(s as Obj, 'enableServiceLinks', true);
      setDefault(s as Obj, 'priority', 0);
      setDefault(s as Obj, 'preemptionPolicy', 'PreemptLowerPriority');
      setDefault(s as Obj, 'tolerations', [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ]);
      object.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    }
    case 'apps/StatefulSet': {
      const s = (spec ?? (object.spec = {})) as Obj;
      setDefault(s, 'replicas', 1);
      setDefault(s, 'podManagementPolicy', 'OrderedReady');
      setDefault(s, 'updateStrategy', { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
      const strategy = s.updateStrategy as Obj;
      if (strategy.type === 'RollingUpdate') setDefault(strategy, 'rollingUpdate', { partition: 0 });
      if (isObject(strategy.rollingUpdate)) setDefault(strategy.rollingUpdate, 'partition', 0);
      setDefault(s, 'revisionHistoryLimit', 10);
      setDefault(s, 'persistentVolumeClaimRetentionPolicy', { whenDeleted: 'Retain', whenScaled: 'Retain' });
      const template = isObject(s.template) ? s.template : undefined;
      if (template && isObject(template.spec)) defaultPodSpec(template.spec);
      object.status = { replicas: 0, availableReplicas: 0 };
      break;
    }
    case 'apps/Deployment':
    case 'apps/ReplicaSet':
    case 'apps/DaemonSet': {
      const template = spec && isObject(spec.template) ? spec.template : undefined;
      if (template && isObject(template.spec)) defaultPodSpec(template.spec);
      if (spec && key !== 'apps/DaemonSet') setDefault(spec, 'replicas', 1);
      object.status = {};
      break;
    }
    case 'Service': {
      const s = (spec ?? (object.spec = {})) as Obj;
      setDefault(s, 'type', 'ClusterIP');
      setDefault(s, 'sessionAffinity', 'None');
      if (s.clusterIP === undefined) {
        const n = nextClusterIp++;
        s.clusterIP = `10.96.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
      }
      setDefault(s, 'clusterIPs', [s.clusterIP]);
      setDefault(s, 'ipFamilies', ['IPv4']);
      setDefault(s, 'ipFamilyPolicy', 'SingleStack');
      setDefault(s, 'internalTrafficPolicy', 'Cluster');
      if (Array.isArray(s.ports)) {
        for (const p of s.ports) {
          if (!isObject(p)) continue;
          setDefault(p, 'protocol', 'TCP');
          setDefault(p, 'targetPort', p.port);
        }
      }
      object.status = { loadBalancer: {} };
      break;
    }
    case 'Namespace':
      object.spec = { finalizers: ['kubernetes'], ...(spec ?? {}) };
      object.status = { phase: 'Active' };
      object.metadata.labels = { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name };
      break;
    case 'Secret':
      if (object.type === undefined) object.type = 'Opaque';
      foldStringData(object);
      break;
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      object.status = {};
      break;
    default:
      if (resource.statusSubresource) delete object.status;
  }
}

/** Defaults that also apply on update (the API server defaults every write). */
export function applyUpdateDefaults(resource: ResourceDef, object: KubeObject): void {
  if (resource.group === '' && resource.kind === 'Pod' && isObject(object.spec)) defaultPodSpec(object.spec);
  if (resource.group === '' && resource.kind === 'Secret') foldStringData(object);
  if (resource.group === 'apps' && isObject(object.spec) && isObject(object.spec.template) && isObject(object.spec.template.spec)) {
    defaultPodSpec(object.spec.template.spec);
  }
}

function foldStringData(secret: KubeObject): void {
  if (!isObject(secret.stringData)) return;
  const data = isObject(secret.data) ? secret.data : {};
  for (const [k, v] of Object.entries(secret.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
  secret.data = data;
  delete secret.stringData;
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Validation of a new object: name present and well formed, pods with containers and images. */
export function validateCreate(resource: ResourceDef, object: KubeObject): void {
  const name = object.metadata.name;
  const causes: FieldCause[] = [];
  if (!name) {
    causes.push({ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' });
  } else if (!dns1123Subdomain.test(name) || name.length > 253) {
    causes.push({
      field: 'metadata.name',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    });
  }
  if (resource.group === '' && resource.kind === 'Pod') {
    const spec = isObject(object.spec) ? object.spec : {};
    const containers = Array.isArray(spec.containers) ? spec.containers : [];
    if (containers.length === 0) causes.push({ field: 'spec.containers', reason: 'FieldValueRequired', message: 'Required value' });
    containers.forEach((c, i) => {
      if (!isObject(c) || !c.name) causes.push({ field: `spec.containers[${i}].name`, reason: 'FieldValueRequired', message: 'Required value' });
      if (!isObject(c) || !c.image) causes.push({ field: `spec.containers[${i}].image`, reason: 'FieldValueRequired', message: 'Required value' });
    });
  }
  if (resource.group === 'apps' && ['StatefulSet', 'Deployment', 'ReplicaSet', 'DaemonSet'].includes(resource.kind)) {
    causes.push(...workloadSelectorCauses(object));
  }
  if (causes.length > 0) throw invalid(resource.group, resource.kind, name ?? '', causes);
}

function workloadSelectorCauses(object: KubeObject): FieldCause[] {
  const spec = isObject(object.spec) ? object.spec : {};
  const selector = isObject(spec.selector) ? spec.selector : undefined;
  if (!selector) return [{ field: 'spec.selector', reason: 'FieldValueRequired', message: 'Required value' }];
  const template = isObject(spec.template) ? spec.template : {};
  const labels = (isObject(template.metadata) && isObject(template.metadata.labels) ? template.metadata.labels : {}) as Record<string, string>;
  const matchLabels = (isObject(selector.matchLabels) ? selector.matchLabels : {}) as Record<string, string>;
  const mismatch = Object.entries(matchLabels).some(([k, v]) => labels[k] !== v);
  if (mismatch || (Object.keys(matchLabels).length === 0 && !Array.isArray(selector.matchExpressions))) {
    const shown = Object.entries(labels).map(([k, v]) => `"${k}":"${v}"`).join(', ');
    return [{ field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: map[string]string{${shown}}: \`selector\` does not match template \`labels\`` }];
  }
  return [];
}

/** StatefulSet spec fields other than these are immutable, as in apps/v1 validation. */
export function validateStatefulSetUpdate(oldSet: KubeObject, newSet: KubeObject): void {
  const mutable = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds', 'revisionHistoryLimit'];
  const strip = (spec: unknown) => Object.fromEntries(Object.entries(isObject(spec) ? spec : {}).filter(([k]) => !mutable.includes(k)));
  if (deepEqual(strip(oldSet.spec), strip(newSet.spec))) return;
  throw invalid('apps', 'StatefulSet', newSet.metadata.name, [{
    field: 'spec',
    reason: 'FieldValueForbidden',
    message: "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  }]);
}

/**
 * Pod spec updates are limited as in Kubernetes: only container images, activeDeadlineSeconds, tolerations
 * (additions) and — for the scheduler/kubelet of the simulator — a first nodeName may change.
 */
export function validatePodUpdate(oldPod: KubeObject, newPod: KubeObject): void {
  const mask = (spec: unknown): Obj => {
    const s = structuredClone(isObject(spec) ? spec : {});
    for (const list of ['containers', 'initContainers']) {
      if (Array.isArray(s[list])) for (const c of s[list] as unknown[]) if (isObject(c)) delete c.image;
    }
    delete s.activeDeadlineSeconds;
    delete s.tolerations;
    delete s.terminationGracePeriodSeconds;
    return s;
  };
  const before = mask(oldPod.spec);
  const after = mask(newPod.spec);
  if (!before.nodeName && after.nodeName) before.nodeName = after.nodeName;
  if (deepEqual(before, after)) return;
  throw invalid('', 'Pod', newPod.metadata.name, [{
    field: 'spec',
    reason: 'FieldValueForbidden',
    message: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
  }]);
}

const microTimePattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

/** MicroTime fields (metav1.MicroTime, RFC 3339 with exactly six fractional digits) by kind. */
const microTimeFields: Record<string, string[][]> = {
  'coordination.k8s.io/Lease': [['spec', 'acquireTime'], ['spec', 'renewTime']],
  Event: [['eventTime'], ['series', 'lastObservedTime']],
  'events.k8s.io/Event': [['eventTime'], ['series', 'lastObservedTime']],
};

/**
 * Rejects MicroTime values the API server cannot decode, as its JSON decoding does (Go's time.Parse with
 * RFC3339Micro wants exactly six fractional digits: `2024-01-01T00:00:00.123456Z`, not `…00.123Z`).
 */
export function checkMicroTimes(resource: ResourceDef, object: KubeObject): void {
  const key = resource.group === '' ? resource.kind : `${resource.group}/${resource.kind}`;
  for (const path of microTimeFields[key] ?? []) {
    let at: unknown = object;
    for (const part of path) at = isObject(at) ? at[part] : undefined;
    if (at === undefined || at === null) continue;
    if (typeof at === 'string' && microTimePattern.test(at)) continue;
    const version = object.apiVersion.split('/').at(-1);
    const shown = typeof at === 'string' ? at : JSON.stringify(at);
    const fraction = typeof at === 'string' ? (at.match(/\.\d*[^.]*$/)?.[0] ?? at.slice(19)) : shown;
    throw badRequest(`${resource.kind} in version "${version}" cannot be handled as a ${resource.kind}: parsing time "${shown}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${fraction}" as ".000000"`);
  }
}

const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const qualifiedNameMessage = "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";

function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return qualifiedNameMessage;
  const name = parts.at(-1)!;
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!qualifiedNamePart.test(name)) return `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`;
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253 || !dns1123Subdomain.test(prefix)) return `prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
  }
  return undefined;
}

/** Label and annotation validation of ObjectMeta (apimachinery's ValidateLabels / ValidateAnnotations). */
export function validateMetadata(resource: ResourceDef, object: KubeObject): void {
  const causes: FieldCause[] = [];
  for (const [key, value] of Object.entries(object.metadata.labels ?? {})) {
    const problem = qualifiedNameProblem(key);
    if (problem) causes.push({ field: 'metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "${key}": ${problem}` });
    if (typeof value !== 'string' || value.length > 63) {
      causes.push({ field: 'metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "${String(value)}": must be no more than 63 characters` });
    } else if (!labelValuePattern.test(value)) {
      causes.push({ field: 'metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')` });
    }
  }
  let size = 0;
  for (const [key, value] of Object.entries(object.metadata.annotations ?? {})) {
    const problem = qualifiedNameProblem(key.toLowerCase());
    if (problem) causes.push({ field: 'metadata.annotations', reason: 'FieldValueInvalid', message: `Invalid value: "${key}": ${problem}` });
    if (typeof value !== 'string') {
      causes.push({ field: 'metadata.annotations', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: annotation values must be strings` });
    }
    size += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (size > 262144) causes.push({ field: 'metadata.annotations', reason: 'FieldValueInvalid', message: 'Too long: must have at most 262144 bytes' });
  if (causes.length > 0) throw invalid(resource.group, resource.kind, object.metadata.name, causes);
}
