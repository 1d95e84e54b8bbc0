import EvictCommand from './evict.ts';
import RestartCommand from './restart.ts';
import StatusCommand from './status.ts';
import UpgradeCommand from './upgrade.ts';
import VersionCommand from './version.ts';

/**
 * Every command, by id: oclif's explicit command discovery (`oclif.commands.strategy: explicit`, identifier
 * `COMMANDS`), so that one esbuild bundle carries them all. Command modules stay light: anything heavy
 * (@kubernetes/client-node, undici, listr2) is imported dynamically where a command needs the cluster.
 */
export const COMMANDS = {
  status: StatusCommand,
  evict: EvictCommand,
  restart: RestartCommand,
  upgrade: UpgradeCommand,
  version: VersionCommand,
};
