// The krew plugin manifest (plugin.yaml, `kubectl krew install --manifest`), generated from the package version and
// the archives' sha256, and a validator that applies krew's rules (its index validation and the krew-index review
// guidelines), so that a release cannot ship a manifest krew or its index would refuse.
import { parse, stringify } from 'yaml';
import { type Platform, platformId } from './platforms.ts';

/** What the manifest says about one archive. */
export interface ManifestArchive {
  platform: Platform;
  uri: string;
  sha256: string;
  /** Top-level entries of the archive, moved into the install directory as they are. */
  files: readonly string[];
  bin: string;
}

export const PLUGIN_NAME = 'tikv';
export const SHORT_DESCRIPTION = 'Safe TiKV restarts and upgrades on Kubernetes';

const DESCRIPTION = `Drives TiKV maintenance on Kubernetes the way TiKV wants it: before a TiKV pod
goes down, its Region leaders are moved away through PD (an evict-leader
scheduler), and they come back once the new pod serves again.

  status    TiKV stores with their pods, leaders, regions and evictions
  evict     evict the leaders of one store, or end an eviction
  restart   graceful restart of TiKV pods, one store at a time
  upgrade   rolling upgrade of TiKV with leader eviction, resumable
  version   plugin, PD and TiKV versions

It works with tidb-operator v1 and v2, the tikv-operator and plain
StatefulSets, reaches PD through a port-forward of its own, and removes every
scheduler it added, whatever happens. The archive carries its own Node.js.
`;

/** The caveats: the RBAC kubectl-tikv needs (a summary of the project's docs/rbac.yaml Role), and completion. */
function caveats(version: string): string {
  return `kubectl tikv needs, in the namespace of the TiKV cluster (the Role in
docs/rbac.yaml of the project):
  * pods: get, list, watch, delete; pods/portforward: create (to reach PD
    and TiKV); services, secrets (cluster TLS client): get;
    endpointslices: list; events: create; leases (coordination.k8s.io):
    get, create, update, delete
  * statefulsets and the operator's resources (tidbclusters; clusters,
    tikvgroups, tikvs): get, list, patch
status and version only read, and forward ports.

Shell completion (kubectl 1.26+): copy the completion hook next to the
plugin, once:
  cp "\${KREW_ROOT:-$HOME/.krew}/store/tikv/v${version}/kubectl_complete-tikv" \\
     "\${KREW_ROOT:-$HOME/.krew}/bin/"
On Windows copy kubectl_complete-tikv.cmd to %USERPROFILE%\\.krew\\bin.
`;
}

/** The plugin.yaml text for `version` and `archives` (one per platform, in the order given). */
export function krewManifest(options: { version: string; homepage: string; archives: readonly ManifestArchive[] }): string {
  const manifest = {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: { name: PLUGIN_NAME },
    spec: {
      version: `v${options.version}`,
      homepage: options.homepage,
      shortDescription: SHORT_DESCRIPTION,
      description: DESCRIPTION,
      caveats: caveats(options.version),
      platforms: options.archives.map((archive) => ({
        selector: { matchLabels: { os: archive.platform.os, arch: archive.platform.arch } },
        uri: archive.uri,
        sha256: archive.sha256,
        files: archive.files.map((from) => ({ from, to: '.' })),
        bin: archive.bin,
      })),
    },
  };
  return stringify(manifest, { lineWidth: 0, blockQuote: 'literal' });
}

/** krew's manifest as parsed from YAML, as far as the rules below look at it. */
interface ParsedManifest {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown };
  spec?: {
    version?: unknown;
    homepage?: unknown;
    shortDescription?: unknown;
    description?: unknown;
    caveats?: unknown;
    platforms?: {
      selector?: { matchLabels?: Record<string, unknown>; matchExpressions?: unknown[] };
      uri?: unknown;
      sha256?: unknown;
      bin?: unknown;
      files?: { from?: unknown; to?: unknown }[];
    }[];
  };
}

const WINDOWS_RESERVED = ['CON', 'PRN', 'AUX', 'NUL', ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`), ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`)];

/**
 * The rule violations of a manifest (empty when krew and its index would accept it). `fileName` is the manifest's
 * file name in the index (`tikv.yaml`): krew requires `metadata.name` to match it.
 */
export function validateKrewManifest(text: string, fileName = `${PLUGIN_NAME}.yaml`): string[] {
  const errors: string[] = [];
  let m: ParsedManifest;
  try {
    m = parse(text, { uniqueKeys: true }) as ParsedManifest;
  } catch (error) {
    return [`not valid YAML: ${(error as Error).message}`];
  }
  const name = fileName.replace(/\.yaml$/, '');
  if (m.apiVersion !== 'krew.googlecontainertools.github.com/v1alpha2') errors.push(`apiVersion must be krew.googlecontainertools.github.com/v1alpha2, not ${String(m.apiVersion)}`);
  if (m.kind !== 'Plugin') errors.push(`kind must be Plugin, not ${String(m.kind)}`);
  const pluginName = m.metadata?.name;
  if (typeof pluginName !== 'string' || !/^[\w-]+$/.test(pluginName) || WINDOWS_RESERVED.includes(pluginName.toUpperCase())) errors.push(`metadata.name ${String(pluginName)} is not a safe plugin name`);
  if (pluginName !== name) errors.push(`metadata.name must equal the file name "${name}", not ${String(pluginName)}`);
  const spec = m.spec ?? {};
  if (typeof spec.version !== 'string' || !/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(spec.version)) errors.push(`spec.version must be a semantic version with a leading v, not ${String(spec.version)}`);
  if (typeof spec.homepage !== 'string' || !/^https:\/\/\S+$/.test(spec.homepage)) errors.push('spec.homepage must be an https URL');
  const short = spec.shortDescription;
  if (typeof short !== 'string' || short.trim() === '') errors.push('spec.shortDescription is required');
  else {
    if (short.includes('\n')) errors.push('spec.shortDescription must be one line');
    if (short.length > 50) errors.push(`spec.shortDescription must be at most 50 characters (${short.length})`);
    if (/kubectl|plugin/i.test(short)) errors.push('spec.shortDescription must not repeat "kubectl" or "plugin"');
  }
  for (const field of ['description', 'caveats'] as const) {
    const value = spec[field];
    if (typeof value !== 'string' || value.trim() === '') {
      errors.push(`spec.${field} is required`);
      continue;
    }
    value.split('\n').forEach((line, i) => {
      if (line.length > 80) errors.push(`spec.${field} line ${i + 1} is longer than 80 columns (${line.length})`);
    });
  }
  if (typeof spec.description === 'string' && /\bkubectl tikv \w+ --/.test(spec.description)) errors.push('spec.description must not contain usage examples');
  const platforms = spec.platforms ?? [];
  if (platforms.length === 0) errors.push('spec.platforms must not be empty');
  const seen = new Set<string>();
  platforms.forEach((platform, i) => {
    const where = `spec.platforms[${i}]`;
    const labels = platform.selector?.matchLabels;
    if (!labels || Object.keys(labels).length === 0) errors.push(`${where}.selector.matchLabels must name os and arch`);
    else {
      for (const key of Object.keys(labels)) if (key !== 'os' && key !== 'arch') errors.push(`${where}.selector key ${key} is not supported (only os, arch)`);
      if (platform.selector?.matchExpressions) errors.push(`${where}.selector.matchExpressions is not used by this manifest`);
      const id = `${String(labels.os)}/${String(labels.arch)}`;
      if (seen.has(id)) errors.push(`${where} matches ${id} like an earlier platform`);
      seen.add(id);
    }
    if (typeof platform.uri !== 'string' || !/^https:\/\/\S+\.(tar\.gz|zip)$/.test(platform.uri)) errors.push(`${where}.uri must be an https URL of a .tar.gz or .zip`);
    if (typeof platform.sha256 !== 'string' || !/^[a-f0-9]{64}$/.test(platform.sha256)) errors.push(`${where}.sha256 must be 64 lower-case hex digits`);
    if (typeof platform.bin !== 'string' || platform.bin === '') errors.push(`${where}.bin is required`);
    else if (labels?.os === 'windows' && !platform.bin.endsWith('.exe')) errors.push(`${where}.bin must be an .exe on Windows`);
    if (!platform.files || platform.files.length === 0) errors.push(`${where}.files must not be empty`);
    for (const file of platform.files ?? []) {
      if (typeof file.from !== 'string' || file.from === '') errors.push(`${where}.files: from is required`);
      if (typeof file.to !== 'string' || file.to === '' || file.to.split(/[\\/]/).includes('..') || /^[\\/]/.test(file.to)) errors.push(`${where}.files: to ${String(file.to)} must be a clean relative path`);
    }
    if (!(platform.files ?? []).some((f) => typeof f.from === 'string' && /^licen[cs]e/i.test(f.from))) errors.push(`${where} must install a LICENSE file`);
  });
  return errors;
}

/** The platform ids a manifest covers, in order. */
export function manifestPlatformIds(text: string): string[] {
  const m = parse(text) as ParsedManifest;
  return (m.spec?.platforms ?? []).map((p) => platformId({ os: p.selector?.matchLabels?.os as Platform['os'], arch: p.selector?.matchLabels?.arch as Platform['arch'] }));
}
