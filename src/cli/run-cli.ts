import { Config, type Interfaces, settings } from '@oclif/core';
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
 * oclif's configuration with explicit command discovery. From the TypeScript sources the commands are
 * `src/commands/index.ts`; from the esbuild bundle they are the bundle itself (it re-exports `COMMANDS`), so the
 * bundle needs no package.json or command files beside it.
 */
export function loadOclifConfig(): Promise<Config> {
  configPromise ??= (async () => {
    // Commands are plain ESM (TypeScript run by Node's type stripping, or the bundle): oclif must not look for tsconfig.
    settings.enableAutoTranspile = false;
    const self = currentModuleFile();
    const fromSources = self.endsWith('.ts');
    const root = fromSources ? path.resolve(path.dirname(self), '..', '..') : path.dirname(self);
    const target = fromSources ? './src/commands/index.ts' : `./${path.basename(self)}`;
    const pjson = {
      ...packageJson,
      oclif: { ...packageJson.oclif, commands: { strategy: 'explicit' as const, target, identifier: 'COMMANDS' } },
    };
    return Config.load({ root, pjson: pjson as unknown as Interfaces.PJSON, userPlugins: false, devPlugins: false });
  })();
  return configPromise;
}

function currentModuleFile(): string {
  if (typeof import.meta.url === 'string') return fileURLToPath(import.meta.url);
  // A CommonJS bundle (Node single-executable applications need one) has no import.meta.
  return typeof __filename === 'string' ? __filename : (process.argv[1] ?? process.cwd());
}
