/**
 * The seam between the Kubernetes side of the simulator (kubelet, port-forward) and the processes a pod runs
 * (PD members, TiKV stores). A simulated container is an in-process object that may listen on loopback ports.
 */

/** A loopback address a simulated container port is served on. */
export interface LoopbackAddress {
  host: string;
  port: number;
}

/** A running simulated container. */
export interface SimProcess {
  /** Container port (e.g. 2379, 20180) → the loopback address that serves it. Ports without a server are absent. */
  readonly ports: ReadonlyMap<number, LoopbackAddress>;
  /** What the container's readiness probe would answer now. */
  isReady(): boolean;
  /** SIGTERM: a graceful stop (TiKV ≥ 8.5.5 evicts its own leaders first). Resolves when the process has exited. */
  terminate(): Promise<void>;
  /** SIGKILL: stops at once (what the kubelet does when the grace period runs out). */
  kill(): void;
  /** Registers a callback for an exit the kubelet did not ask for (a crash); `code` is the exit code. */
  onExit(listener: (code: number) => void): void;
}

/** What the kubelet asks for when it starts a container. */
export interface ContainerStart {
  namespace: string;
  podName: string;
  podUid: string;
  /** Pod labels and annotations at start (operators put the cluster name and component there). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  containerName: string;
  image: string;
  /** Container ports by number. */
  ports: number[];
  /** Environment, `command` and `args` of the container, for processes that read their configuration there. */
  env: Record<string, string>;
  args: string[];
  /** The pod's hostname and subdomain (StatefulSet pods: `<pod>.<service>`), used for advertised addresses. */
  hostname: string;
  subdomain?: string;
}

/** Starts simulated containers by image; `undefined` means "this image is not simulated" (an idle container). */
export interface ProcessFactory {
  start(container: ContainerStart): Promise<SimProcess | undefined>;
}
