import { hostname, userInfo } from 'node:os';

/** Who runs this command, as the Lease and step records name it: `alice@laptop (pid 4242, context prod)`. */
export function runHolder(contextName: string): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (a container with a random uid): the pid and host still identify the run.
  }
  return `${user}@${hostname()} (pid ${process.pid}, context ${contextName})`;
}
