import { UserError } from '../errors.ts';

/**
 * The error a command raises while its service (`src/services/<name>.ts`, `run<Name>(deps, options)`) does not
 * exist yet. The command has validated its input by then, so bad flags still fail with exit 2 first.
 */
export function serviceNotImplemented(command: string, options: object): UserError {
  const flags = Object.keys(options).length;
  return new UserError(`'kubectl tikv ${command}' is not implemented yet in this build (its ${flags} options were valid)`, {
    suggestions: ["'kubectl tikv version' works; the other commands arrive with the services."],
  });
}
