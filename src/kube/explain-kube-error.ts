import { ExitCode, UserError } from '../errors.ts';
import { KubeError } from './kube-error.ts';

/**
 * Turns a KubeError that reached the user into one plain sentence with what to do next: unreachable server, 401,
 * 403 (naming the verb and resource RBAC needs), 404/409/429/5xx. Credentials and permissions are bad input (exit
 * 2); an unreachable or failing server is a failure (exit 1).
 */
export function explainKubeError(error: KubeError, context: { contextName?: string } = {}): UserError {
  const contextPart = context.contextName ? ` (context "${context.contextName}")` : '';
  const where = error.namespace ? ` in namespace "${error.namespace}"` : '';
  const what = error.objectName ? `${error.resource} "${error.objectName}"` : error.resource;
  if (error.isConnectionFailure) {
    const cause = error.cause instanceof Error ? error.cause.message : (error.serverMessage ?? 'no answer');
    return new UserError(`cannot reach the Kubernetes API server at ${error.server}${contextPart}: ${cause}`, {
      suggestions: [
        "Check that the cluster is up and the kubeconfig context is the right one ('kubectl cluster-info').",
        'Use --request-timeout to wait longer for a slow API server.',
      ],
      cause: error,
    });
  }
  switch (error.status) {
    case 401:
      return new UserError(`the Kubernetes API server at ${error.server} rejected the credentials${contextPart} (401 Unauthorized)`, {
        code: ExitCode.usage,
        suggestions: ["Log in again or refresh the token in the kubeconfig; 'kubectl auth whoami' shows who you are."],
        cause: error,
      });
    case 403:
      return new UserError(`cannot ${error.verb} ${what}${where}: ${error.serverMessage ?? 'forbidden'}`, {
        code: ExitCode.usage,
        suggestions: [
          `kubectl-tikv needs "${error.verb}" on "${error.resource}"${where}: ask your cluster admin for the Role in the README.`,
          `Check with 'kubectl auth can-i ${error.verb} ${error.resource}${error.namespace ? ` -n ${error.namespace}` : ''}'.`,
        ],
        cause: error,
      });
    case 404:
      return new UserError(`${what} not found${where} (${error.verb})`, {
        suggestions: [error.namespace ? `Check the name and the namespace (-n ${error.namespace}).` : 'Check the name.'],
        cause: error,
      });
    case 409:
      return new UserError(`${what}${where} was changed by someone else while kubectl-tikv worked on it (409 Conflict)`, {
        suggestions: ['Run the command again; it starts from the current state.'],
        cause: error,
      });
    case 429:
      return new UserError(`the Kubernetes API server is throttling requests (429 Too Many Requests) during ${error.target}`, {
        suggestions: ['Wait a moment and run the command again.'],
        cause: error,
      });
    default:
      return new UserError(`the Kubernetes API server failed to ${error.verb} ${what}${where} (status ${error.status}): ${error.serverMessage ?? 'no message'}`, {
        suggestions: ['Run the command again; with -v for details.'],
        cause: error,
      });
  }
}
