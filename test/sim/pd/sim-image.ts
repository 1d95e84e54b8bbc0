/** How the simulator reads a container image reference: which process it runs and which version it is. */

/** Which simulated process an image runs: `pingcap/pd:v8.5.0` and any repository ending in `/pd` → 'pd'. */
export function imageKind(image: string): 'pd' | 'tikv' | undefined {
  const repo = imageRepository(image);
  const last = repo.split('/').pop();
  if (last === 'pd') return 'pd';
  if (last === 'tikv') return 'tikv';
  return undefined;
}

/** Repository part of an image reference (registry and path, without tag or digest). */
export function imageRepository(image: string): string {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** The version an image tag names, without a leading `v` (`pingcap/tikv:v8.5.0` → `8.5.0`); `latest` → undefined. */
export function imageVersion(image: string): string | undefined {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  if (colon <= slash) return undefined;
  const tag = noDigest.slice(colon + 1);
  const m = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(tag);
  return m ? m[1] : undefined;
}
