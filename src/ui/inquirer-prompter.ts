import { checkbox, confirm } from '@inquirer/prompts';
import { InterruptedError, UsageError } from '../errors.ts';
import type { PromptChoice, Prompter } from '../services/prompter.ts';
import type { Colors } from './color.ts';

/** Options of the terminal prompter. */
export interface InquirerPrompterOptions {
  /** Keystrokes; default process.stdin. */
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where the questions are drawn; default process.stderr (stdout is for data). */
  output?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Colours decided by the command (`--no-color`, `NO_COLOR`, `FORCE_COLOR`), instead of inquirer's own guess. */
  colors: Colors;
  /** The command's interrupt signal (SIGTERM): a prompt it aborts ends with an InterruptedError. */
  signal?: AbortSignal;
}

const WINDOWS = process.platform === 'win32';
const CHECKED = WINDOWS ? '(*)' : '◉';
const UNCHECKED = WINDOWS ? '( )' : '◯';
const TICK = WINDOWS ? '√' : '✔';
const POINTER = WINDOWS ? '>' : '❯';

/**
 * The `Prompter` on @inquirer/prompts, drawn on stderr. Ctrl+C in a prompt (inquirer's ExitPromptError) and an
 * aborted signal become an InterruptedError (exit 130). @inquirer/prompts reads piped stdin as keystrokes and hangs
 * at its end, so a prompt without a terminal on both sides is refused with a usage error rather than asked (commands
 * check first; this is the last line of defence).
 */
export class InquirerPrompter implements Prompter {
  readonly #input: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly #output: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #colors: Colors;
  readonly #signal: AbortSignal | undefined;

  constructor(options: InquirerPrompterOptions) {
    this.#input = options.input ?? process.stdin;
    this.#output = options.output ?? process.stderr;
    this.#colors = options.colors;
    this.#signal = options.signal;
  }

  async checkbox<T>(message: string, choices: PromptChoice<T>[]): Promise<T[]> {
    this.#requireTerminal(message);
    if (!choices.some((choice) => !choice.disabled)) {
      throw new UsageError(`nothing to choose for "${message}": every choice is unavailable`, {
        suggestions: choices.map((choice) => `${choice.name}: ${choice.disabled}`),
      });
    }
    const c = this.#colors;
    return this.#ask(() =>
      checkbox<T>(
        {
          message,
          choices: choices.map((choice) => ({
            value: choice.value,
            name: choice.name,
            description: choice.description,
            // inquirer shows a string `disabled` in place of the choice's state: say why it cannot be chosen.
            disabled: choice.disabled ? `(${choice.disabled})` : false,
            checked: choice.checked ?? false,
          })),
          required: true,
          pageSize: Math.min(Math.max(choices.length, 7), 15),
          loop: false,
          theme: {
            ...this.#theme(),
            icon: { checked: c.green(CHECKED), unchecked: UNCHECKED, cursor: c.cyan(POINTER), disabledChecked: c.green(CHECKED), disabledUnchecked: c.dim('-') },
            style: {
              ...this.#theme().style,
              disabled: (text: string) => c.dim(text),
              description: (text: string) => c.cyan(text),
              keysHelpTip: (keys: [string, string][]) => keys.map(([key, action]) => `${c.bold(key)} ${c.dim(action)}`).join(c.dim(' • ')),
            },
          },
        },
        this.#context(),
      ),
    );
  }

  async confirm(message: string, defaultAnswer: boolean): Promise<boolean> {
    this.#requireTerminal(message);
    return this.#ask(() => confirm({ message, default: defaultAnswer, theme: this.#theme() }, this.#context()));
  }

  #requireTerminal(message: string): void {
    if (this.#input.isTTY && this.#output.isTTY) return;
    throw new UsageError(`cannot ask "${message}": there is no terminal to ask on (standard input and standard error must be terminals)`, {
      suggestions: ['Pass -y/--yes to confirm on the command line, and name what to act on (for scripts and CI).'],
    });
  }

  #context() {
    return { input: this.#input, output: this.#output, signal: this.#signal };
  }

  /** The styles every prompt shares, coloured as the command decided. */
  #theme() {
    const c = this.#colors;
    return {
      prefix: { idle: c.cyan('?'), done: c.green(TICK) },
      style: {
        answer: (text: string) => c.cyan(text),
        message: (text: string) => c.bold(text),
        error: (text: string) => c.red(`> ${text}`),
        defaultAnswer: (text: string) => c.dim(`(${text})`),
        help: (text: string) => c.dim(text),
        highlight: (text: string) => c.cyan(text),
        key: (text: string) => c.cyan(c.bold(`<${text}>`)),
      },
    };
  }

  async #ask<T>(prompt: () => Promise<T>): Promise<T> {
    try {
      return await prompt();
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      // Names, not classes: the classes live in @inquirer/core, which is inquirer's dependency, not ours.
      if (name === 'ExitPromptError') {
        throw new InterruptedError('interrupted at the prompt (Ctrl+C)', { cause: error });
      }
      if (name === 'AbortPromptError') {
        const reason: unknown = this.#signal?.reason;
        throw reason instanceof InterruptedError ? reason : new InterruptedError('interrupted while waiting for an answer', { cause: error });
      }
      throw error;
    }
  }
}
