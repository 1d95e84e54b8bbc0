import { Config, type Interfaces, Plugin, settings } from '@oclif/core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import packageJson from '../../package.json' with { type: 'json' };
import { COMMANDS } from '../commands/index.ts';
import { ExitCode, type ExitCodeValue, UsageError } from '../errors.ts';
import { type BaseCommand, helpSuggestion } from './base-command.ts';
import { closest } from './closest.ts';
import { globalFlags } from './global-flags.ts';
import { KubectlTikvHelp } from './help.ts';
import { argvSpecFromCommands, normalizeArgv } from './normalize-argv.ts';
import { renderError } from './render-error.ts';
import type { CliRuntime } from './runtime.ts';

/**
 * Runs one kubectl-tikv invocation inside the current process: finds the command wherever it is in argv, shows help
 * or runs the command with `runtime`, renders any error (`error: …` + suggestions on stderr) and returns the exit
 * code. Never exits the process: bin/ does that after this resolved, i.e. after every cleanup.
 */
export async function runCli(argv: readonly string[], runtime: CliRuntime): Promise<ExitCodeValue> {
  const verbose = argv.some((token) => token === '-v' || token === '--verbose' || /^-[a-zA-Z]*v[a-zA-Z]*$/.test(token));
  if (argv[0] === '__complete') {
    // Shell completion (kubectl runs `kubectl_complete-tikv`, i.e. this with `__complete` first); never fails.
    const { complete } = await import('./complete.ts');
    runtime.stdout.write(await complete(argv.slice(1), runtime));
    return ExitCode.ok;
  }
  try {
    const intent = normalizeArgv(argv, argvSpecFromCommands(COMMANDS));
    if (intent.kind === 'unknown-command') {
      const suggestion = closest(intent.word, Object.keys(COMMANDS));
      throw new UsageError(`unknown command "${intent.word}" for "kubectl tikv"`, {
        suggestions: [...(suggestion ? [`Did you mean '${suggestion}'?`] : []), helpSuggestion()],
      });
    }
    const config = await loadOclifConfig();
    if (intent.kind === 'help') {
      const help = new KubectlTikvHelp(config, runtime.stdout, globalFlags);
      if (intent.commandId !== undefined && !config.findCommand(intent.commandId)) {
        throw new UsageError(`unknown command "${intent.commandId}" for "kubectl tikv"`, { suggestions: [helpSuggestion()] });
      }
      await help.showHelp(intent.commandId === undefined ? [] : [intent.commandId]);
      return ExitCode.ok;
    }
    const loadable = config.findCommand(intent.commandId, { must: true });
    const CommandClass = (await loadable.load()) as unknown as new (argv: string[], config: Config) => BaseCommand;
    const command = new CommandClass(intent.argv, config);
    command.id = intent.commandId;
    await command.start(runtime);
    return runtime.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
  } catch (error) {
    const rendered = renderError(error, { verbose, interrupted: runtime.signal.aborted });
    runtime.stderr.write(rendered.text);
    return rendered.code;
  }
}

let configPromise: Promise<Config> | undefined;

/**
 * oclif's configuration with explicit command discovery (`COMMANDS` of src/commands/index.ts). oclif would load the
 * discovery target as a module by path; the root plugin is handed the commands instead, so the same code runs from
 * the TypeScript sources, the esbuild bundle (whose chunks have hashed names) and a Node single-executable
 * application (which cannot load modules from files), and no package.json or manifest is read from disk.
 */
export function loadOclifConfig(): Promise<Config> {
  configPromise ??= (async () => {
    // Commands are plain ESM (TypeScript run by Node's type stripping, or the bundle): oclif must not look for tsconfig.
    settings.enableAutoTranspile = false;
    const self = currentModuleFile();
    const root = self.endsWith('.ts') ? path.resolve(path.dirname(self), '..', '..') : path.dirname(self);
    const pjson = {
      ...packageJson,
      oclif: { ...packageJson.oclif, commands: { strategy: 'explicit' as const, target: './src/commands/index.ts', identifier: 'COMMANDS' } },
    } as unknown as Interfaces.PJSON;
    const plugin = new Plugin({ root, pjson, isRoot: true, ignoreManifest: true });
    // oclif 5.1 reads explicit commands through this (TypeScript-private) cache before it loads `target`.
    (plugin as unknown as { commandCache: typeof COMMANDS }).commandCache = COMMANDS;
    await plugin.load();
    return Config.load({ root, pjson, plugins: new Map([[plugin.name, plugin]]), userPlugins: false, devPlugins: false });
  })();
  return configPromise;
}

function currentModuleFile(): string {
  if (typeof import.meta.url === 'string') return fileURLToPath(import.meta.url);
  // A CommonJS bundle (Node single-executable applications need one) has no import.meta.
  return typeof __filename === 'string' ? __filename : (process.argv[1] ?? process.cwd());
}
