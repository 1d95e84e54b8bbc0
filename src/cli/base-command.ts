import { Command, Errors, type Interfaces } from '@oclif/core';
import { UsageError } from '../errors.ts';
import { closest } from './closest.ts';
import type { ClusterConnection } from './cluster-connection.ts';
import { globalFlags } from './global-flags.ts';
import type { GlobalOptions } from './global-options.ts';
import type { CliRuntime } from './runtime.ts';
import { stripAnsi } from '../ui/color.ts';

/**
 * The base of every kubectl-tikv command: the global flags, the runtime (streams, env, the interrupt signal) that
 * `runCli` hands over, and oclif parse errors turned into one-line usage errors (exit 2). Commands implement
 * `run()`: parse flags → build deps → call one service → render.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = globalFlags;

  /** Set by `runCli` before `start()`. */
  runtime!: CliRuntime;

  /** Runs the command with this runtime; resolves when it and its cleanup are done, rejects with its error. */
  async start(runtime: CliRuntime): Promise<unknown> {
    this.runtime = runtime;
    return this._run();
  }

  /** oclif's default sets `process.exitCode` and prints; here errors go to `runCli`, which renders them. */
  protected override async catch(error: Error): Promise<never> {
    throw error;
  }

  /** `this.parse` with oclif's parse errors as UsageErrors that point at this command's help. */
  protected async parseInput<F extends Record<string, unknown>, B extends Record<string, unknown>, A extends Record<string, unknown>>(
    options: Interfaces.Input<F, B, A>,
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await this.parse(options, this.argv);
    } catch (error) {
      throw toUsageError(error, this.id, { ...options.baseFlags, ...options.flags });
    }
  }

  /**
   * Connects to the TiKV cluster the global flags point at (kubeconfig, detection, PD tunnel, TiKV metrics). The
   * Kubernetes client is imported only here. The caller closes the connection in `finally`.
   */
  protected async connect(globals: GlobalOptions): Promise<ClusterConnection> {
    const { openClusterConnection } = await import('./cluster-connection.ts');
    return openClusterConnection(globals, this.runtime, { userAgent: `kubectl-tikv/${this.config.version}` });
  }

  /** Writes data (tables, JSON, YAML) to stdout. */
  protected out(text: string): void {
    this.runtime.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes a progress or warning line to stderr. */
  protected note(text: string): void {
    this.runtime.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** The suggestion every usage error of a command carries. */
export function helpSuggestion(commandId?: string): string {
  return `Run 'kubectl tikv ${commandId ? `${commandId} ` : ''}--help' for usage.`;
}

/** Maps oclif's parser errors (multi-line, "See more help with --help") to one sentence + a suggestion. */
export function toUsageError(error: unknown, commandId: string | undefined, flags: Record<string, { char?: string }> = {}): unknown {
  if (!(error instanceof Errors.CLIError)) return error;
  const suggestions: string[] = [];
  const parseError = error as Errors.CLIError & { flags?: unknown; args?: unknown };
  let message: string;
  // Recognised by shape and wording, not class name: the bundle may rename classes.
  const first = stripAnsi(error.message).split('\n', 1)[0];
  const strings = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');
  if (/^Nonexistent flags?:/.test(first) && strings(parseError.flags)) {
    const unknown = parseError.flags;
    message = `unknown flag${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`;
    const names = Object.keys(flags);
    for (const flag of unknown) {
      const match = closest(flag.replace(/^-+/, '').split('=')[0], names);
      if (match) suggestions.push(`Did you mean --${match}?`);
    }
  } else if (/^Unexpected arguments?:/.test(first) && strings(parseError.args)) {
    message = `unexpected argument${parseError.args.length > 1 ? 's' : ''}: ${parseError.args.join(' ')}`;
  } else if (/^Missing \d+ required args?/.test(first) && Array.isArray(parseError.args)) {
    message = `missing ${(parseError.args as { name: string }[]).map((a) => a.name.toUpperCase()).join(' ')}`;
  } else {
    message = cleanOclifMessage(error.message);
  }
  suggestions.push(helpSuggestion(commandId));
  return new UsageError(message, { suggestions, cause: error });
}

function cleanOclifMessage(message: string): string {
  const lines = stripAnsi(message)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^See more help with --help$/.test(line) && !/^The following errors? occurred:$/.test(line));
  const first = lines[0] ?? 'invalid arguments';
  const expected = /^Expected --([\w-]+)=(.*) to be one of: (.*)$/.exec(first);
  if (expected) return `invalid value "${expected[2]}" for --${expected[1]}: expected one of ${expected[3]}`;
  const needsValue = /^Flag --([\w-]+) expects a value$/.exec(first);
  if (needsValue) return `flag --${needsValue[1]} needs a value`;
  const missingFlag = /^Missing required flag (.*)$/.exec(first);
  if (missingFlag) return `missing required flag --${missingFlag[1].replace(/^-+/, '')}`;
  return first.replace(/^Error: /, '');
}
