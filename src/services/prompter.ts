/** A choice in a list prompt. */
export interface PromptChoice<T> {
  value: T;
  /** One line: `basic-tikv-1   store 2   Up   312 leaders`. */
  name: string;
  /** Shown when the choice is highlighted. */
  description?: string;
  /** Why it cannot be chosen, when it cannot. */
  disabled?: string;
  checked?: boolean;
}

/**
 * Interactive questions, only ever asked on a terminal (commands check for a TTY first). Ctrl+C in a prompt rejects
 * with an InterruptedError.
 */
export interface Prompter {
  /** Several of the choices (space to toggle, enter to accept); at least one. */
  checkbox<T>(message: string, choices: PromptChoice<T>[]): Promise<T[]>;
  /** Yes or no; `defaultAnswer` when the user just presses enter. */
  confirm(message: string, defaultAnswer: boolean): Promise<boolean>;
}
