/**
 * kubectl users put flags anywhere (`kubectl tikv -n prod restart basic-tikv-0`), but oclif reads the command id
 * only from the first argument. This moves the command word to the front. It must know which flags take a value
 * (`-n prod`), or it would take `prod` for the command.
 */

/** What argv normalisation needs to know about the CLI. */
export interface ArgvSpec {
  /** Command ids and aliases → command id. */
  commands: ReadonlyMap<string, string>;
  /** Flags that take a value, as typed: `--namespace`, `-n`. */
  valueFlags: ReadonlySet<string>;
}

/** What the user asked for. */
export type ArgvIntent =
  | { kind: 'run'; commandId: string; argv: string[] }
  | { kind: 'help'; commandId?: string }
  | { kind: 'unknown-command'; word: string };

const HELP_FLAGS = new Set(['-h', '--help']);

/** Finds the command word wherever it is, and whether help was asked for. */
export function normalizeArgv(argv: readonly string[], spec: ArgvSpec): ArgvIntent {
  let commandIndex = -1;
  let help = false;
  let firstPositional: string | undefined;
  let versionFlag = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') break;
    if (HELP_FLAGS.has(token)) {
      help = true;
      continue;
    }
    if (token.startsWith('--')) {
      const name = token.includes('=') ? token.slice(0, token.indexOf('=')) : token;
      if (name === '--version' && !token.includes('=')) versionFlag = true;
      if (!token.includes('=') && spec.valueFlags.has(name)) i++;
      continue;
    }
    if (token.startsWith('-') && token.length > 1) {
      // `-n prod` takes the next token; `-nprod`, `-n=prod` and boolean groups like `-vy` do not (unless the last
      // letter of a group takes a value: `-yn prod`).
      const letters = token.slice(1);
      if (!letters.includes('=') && spec.valueFlags.has(`-${letters.at(-1)}`) && (letters.length === 1 || !spec.valueFlags.has(`-${letters[0]}`))) i++;
      continue;
    }
    if (firstPositional === undefined) {
      firstPositional = token;
      if (spec.commands.has(token)) commandIndex = i;
    }
  }

  if (firstPositional === 'help') {
    const after = argv.slice(argv.indexOf('help') + 1).find((t) => !t.startsWith('-'));
    return { kind: 'help', commandId: after === undefined ? undefined : spec.commands.get(after) ?? after };
  }
  if (commandIndex === -1) {
    if (firstPositional !== undefined) return { kind: 'unknown-command', word: firstPositional };
    // `kubectl tikv --version` alone: the version command.
    if (versionFlag && !help && spec.commands.has('version')) return { kind: 'run', commandId: 'version', argv: argv.filter((t) => t !== '--version') };
    return { kind: 'help' };
  }
  const commandId = spec.commands.get(argv[commandIndex]) as string;
  if (help) return { kind: 'help', commandId };
  return { kind: 'run', commandId, argv: [...argv.slice(0, commandIndex), ...argv.slice(commandIndex + 1)] };
}

/** Builds the spec from oclif command classes: ids, aliases, and every flag (own and base) that takes a value. */
export function argvSpecFromCommands(commands: Record<string, CommandFlagsShape>): ArgvSpec {
  const names = new Map<string, string>();
  const valueFlags = new Set<string>();
  for (const [id, command] of Object.entries(commands)) {
    names.set(id, id);
    for (const alias of command.aliases ?? []) names.set(alias, id);
    for (const [name, flag] of Object.entries({ ...command.baseFlags, ...command.flags })) {
      if (flag.type !== 'option') continue;
      valueFlags.add(`--${name}`);
      if (flag.char) valueFlags.add(`-${flag.char}`);
      for (const alias of flag.aliases ?? []) valueFlags.add(`--${alias}`);
    }
  }
  return { commands: names, valueFlags };
}

/** The parts of an oclif command class that argv normalisation reads. */
export interface CommandFlagsShape {
  aliases?: string[];
  flags?: Record<string, { type: string; char?: string; aliases?: string[] }>;
  baseFlags?: Record<string, { type: string; char?: string; aliases?: string[] }>;
}
