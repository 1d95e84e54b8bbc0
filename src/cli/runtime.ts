/** Where a command writes, what it reads from the environment, and the signal that interrupts it. */
export interface CliOutput {
  write(text: string): unknown;
  /** True when the stream is a terminal (colours, tables sized to it, prompts). */
  isTTY?: boolean;
  /** Terminal width in columns, when a terminal. */
  columns?: number;
  /** Terminal height in rows, when a terminal (the task list needs both). */
  rows?: number;
}

/** Everything a command needs from the process, so that it can also run inside a test. */
export interface CliRuntime {
  /** Data (tables, JSON, YAML). */
  stdout: CliOutput;
  /** Progress, warnings and errors. */
  stderr: CliOutput;
  stdin: { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted by the first SIGINT/SIGTERM; every wait and request of the command takes it. */
  signal: AbortSignal;
}
