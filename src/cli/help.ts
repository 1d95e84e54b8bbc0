import { type Command, type CommandHelp, Help, type Config, type Interfaces } from '@oclif/core';
import type { CliOutput } from './runtime.ts';

/** How help names the tool: kubectl runs the `kubectl-tikv` binary for `kubectl tikv`. */
export const DISPLAY_BIN = 'kubectl tikv';

/**
 * oclif's help, reading `kubectl tikv …` instead of the binary's name, written to the runtime's stdout, and with the
 * global flags listed on the root page (oclif shows them only per command).
 */
export class KubectlTikvHelp extends Help {
  readonly #out: CliOutput;
  readonly #globalFlags: Record<string, Interfaces.Flag<unknown>>;

  constructor(config: Config, out: CliOutput, globalFlags: Record<string, unknown>) {
    // A view of the config whose `bin` is what users type; everything else reads through to the real config.
    const view = Object.create(config, { bin: { value: DISPLAY_BIN, enumerable: true } }) as Config;
    super(view, { maxWidth: Math.max(60, Math.min(out.columns ?? 100, 120)), stripAnsi: true, hideAliasesFromRoot: true });
    this.#out = out;
    this.#globalFlags = globalFlags as Record<string, Interfaces.Flag<unknown>>;
    skipIdleTemplates(this);
  }

  protected override getCommandHelpClass(command: Command.Loadable): CommandHelp {
    const help = super.getCommandHelpClass(command);
    skipIdleTemplates(help);
    return help;
  }

  protected override log(...args: string[]): void {
    this.#out.write(`${args.join(' ')}\n`);
  }

  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp();
    // Flags with a short form first, as oclif orders them (its list renderer trims the first row's indent).
    const rows = Object.entries(this.#globalFlags)
      .filter(([, flag]) => !flag.hidden)
      // By code unit, not localeCompare: flag names are ASCII, and a process's first localeCompare sets up ICU (4 ms).
      .sort(([a, x], [b, y]) => Number(!x.char) - Number(!y.char) || (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, flag]) => {
        const value = flag.type === 'option' ? `=${flag.helpValue ?? (flag.options ? flag.options.join('|') : 'VALUE')}` : '';
        const label = `${flag.char ? `-${flag.char}, ` : '    '}--${name}${value}`;
        return [label, flag.description?.split('\n')[0]];
      });
    this.log(this.section('GLOBAL FLAGS (before or after the command)', this.renderList(rows, { indentation: 2, stripAnsi: true })));
    this.log('');
    this.log(`Run '${DISPLAY_BIN} COMMAND --help' for the flags of a command.`);
  }
}

/**
 * oclif passes every help text through ejs, which compiles a function for each string (a few milliseconds per
 * `--help`); only the examples hold a template (`<%= config.bin %>`), so text without one is returned as it is —
 * which is what ejs returns for it.
 */
function skipIdleTemplates(formatter: { render: (input: string) => string }): void {
  const render = formatter.render;
  formatter.render = (input) => (input.includes('<%') ? render(input) : input);
}
