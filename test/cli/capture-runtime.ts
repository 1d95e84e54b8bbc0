import type { CliRuntime } from '../../src/cli/runtime.ts';

/** A CliRuntime writing into strings, for running the CLI inside a test. */
export interface CapturedRuntime extends CliRuntime {
  readonly out: () => string;
  readonly err: () => string;
  readonly abort: (reason?: unknown) => void;
}

/** Not a terminal unless `tty` says so; the environment is only what the test passes. */
export function captureRuntime(options: { env?: Record<string, string | undefined>; tty?: boolean } = {}): CapturedRuntime {
  let stdout = '';
  let stderr = '';
  const controller = new AbortController();
  return {
    stdout: { write: (text: string) => (stdout += text), isTTY: options.tty ?? false, columns: 100 },
    stderr: { write: (text: string) => (stderr += text), isTTY: options.tty ?? false },
    stdin: { isTTY: options.tty ?? false },
    env: options.env ?? {},
    signal: controller.signal,
    out: () => stdout,
    err: () => stderr,
    abort: (reason?: unknown) => controller.abort(reason),
  };
}
