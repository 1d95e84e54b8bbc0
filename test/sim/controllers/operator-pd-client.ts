import { Agent, request } from 'undici';

/** Client TLS material as an operator mounts it from `<cluster>-cluster-client-secret`. */
export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

/** Where an operator reaches a server now: a loopback origin (what the service name resolves to) and TLS. */
export interface OperatorEndpoint {
  origin: string;
  tls?: ClientTls;
}

/** A store as PD's `/stores` answers it, reduced to what the operators read. */
export interface PdStoreView {
  id: number;
  address: string;
  statusAddress: string;
  version: string;
  stateName: string;
  /** `node_state` name (Preparing/Serving/Removing/Removed) when PD sends it. */
  nodeState?: string;
  startTimestampSec: number;
  leaderCount: number;
  regionCount: number;
  isBusy: boolean;
}

/** A PD member as `/members` and `/health` give it. */
export interface PdMemberView {
  name: string;
  memberId: string;
  clientUrls: string[];
  health?: boolean;
}

const NODE_STATES = ['Preparing', 'Serving', 'Removing', 'Removed'];

/** Failure of one operator request to PD or TiKV, naming method, path and status. */
export class OperatorHttpError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'OperatorHttpError';
    this.status = status;
  }
}

/**
 * The PD (and TiKV status port) HTTP client the simulated operators use, as tidb-operator's pdapi does: its own
 * small client on purpose, so that the plugin's PdClient is never what makes an operator work.
 */
export class OperatorPdClient {
  readonly #resolve: () => Promise<OperatorEndpoint>;
  readonly #agents = new Map<string, Agent>();
  readonly #timeoutMs: number;
  /** Aborted by close(): requests in flight end at once (an operator that stops does not wait for PD). */
  readonly #closed = new AbortController();

  constructor(resolve: () => Promise<OperatorEndpoint>, options: { timeoutMs?: number } = {}) {
    this.#resolve = resolve;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Up/Disconnected/Down/Offline stores (PD's default), or Tombstone ones with `tombstone`. */
  async stores(options: { tombstone?: boolean; signal?: AbortSignal } = {}): Promise<PdStoreView[]> {
    const path = options.tombstone ? '/pd/api/v1/stores?state=2' : '/pd/api/v1/stores';
    const body = (await this.#json('GET', path, undefined, options.signal)) as { stores?: RawStore[] } | null;
    return (body?.stores ?? []).map(toStoreView);
  }

  /** Adds a store to the evict-leader scheduler (`BeginEvictLeader`). */
  async beginEvictLeader(storeId: number, signal?: AbortSignal): Promise<void> {
    await this.#json('POST', '/pd/api/v1/schedulers', { name: 'evict-leader-scheduler', store_id: storeId }, signal);
  }

  /** Removes a store from the evict-leader scheduler (`EndEvictLeader`); a 404 means it was not there. */
  async endEvictLeader(storeId: number, signal?: AbortSignal): Promise<'removed' | 'absent'> {
    try {
      await this.#json('DELETE', `/pd/api/v1/schedulers/evict-leader-scheduler-${storeId}`, undefined, signal);
      return 'removed';
    } catch (error) {
      if (error instanceof OperatorHttpError && error.status === 404) return 'absent';
      throw error;
    }
  }

  /** Store ids in the evict-leader scheduler(s), PD ≥ 4 (one scheduler with a map) and PD ≤ 3 (one per store). */
  async evictingStoreIds(signal?: AbortSignal): Promise<number[]> {
    const names = (await this.#json('GET', '/pd/api/v1/schedulers', undefined, signal)) as string[] | null;
    const ids = new Set<number>();
    for (const name of names ?? []) {
      const legacy = /^evict-leader-scheduler-(\d+)$/.exec(name);
      if (legacy) ids.add(Number(legacy[1]));
    }
    if ((names ?? []).includes('evict-leader-scheduler')) {
      try {
        const config = (await this.#json('GET', '/pd/api/v1/scheduler-config/evict-leader-scheduler/list', undefined, signal)) as {
          'store-id-ranges'?: Record<string, unknown>;
        } | null;
        for (const id of Object.keys(config?.['store-id-ranges'] ?? {})) ids.add(Number(id));
      } catch (error) {
        // The scheduler vanished between the two requests: PD answers a plain-text 404.
        if (!(error instanceof OperatorHttpError && error.status === 404)) throw error;
      }
    }
    return [...ids].sort((a, b) => a - b);
  }

  /** `DELETE /store/{id}`: takes a store offline (scale-in); PD makes it Tombstone once its replicas moved. */
  async deleteStore(storeId: number, signal?: AbortSignal): Promise<void> {
    await this.#json('DELETE', `/pd/api/v1/store/${storeId}`, undefined, signal);
  }

  /** `/regions/check/down-peer`: store ids of down peers, one entry per down peer. */
  async downPeerStoreIds(signal?: AbortSignal): Promise<{ count: number; storeIds: number[] }> {
    const body = (await this.#json('GET', '/pd/api/v1/regions/check/down-peer', undefined, signal)) as {
      count?: number;
      regions?: { down_peers?: { peer?: { store_id?: number } }[] }[];
    } | null;
    const storeIds: number[] = [];
    for (const region of body?.regions ?? []) {
      for (const down of region.down_peers ?? []) storeIds.push(down.peer?.store_id ?? 0);
    }
    return { count: body?.count ?? 0, storeIds };
  }

  /** `/members` with the leader and cluster id. */
  async members(signal?: AbortSignal): Promise<{ clusterId: string; members: PdMemberView[]; leader?: PdMemberView }> {
    const body = (await this.#json('GET', '/pd/api/v1/members', undefined, signal)) as {
      header?: { cluster_id?: number | string };
      members?: RawMember[];
      leader?: RawMember;
    } | null;
    return {
      clusterId: String(body?.header?.cluster_id ?? ''),
      members: (body?.members ?? []).map(toMemberView),
      leader: body?.leader?.name ? toMemberView(body.leader) : undefined,
    };
  }

  /** `/health`: every member with its health. */
  async health(signal?: AbortSignal): Promise<PdMemberView[]> {
    const body = (await this.#json('GET', '/pd/api/v1/health', undefined, signal)) as (RawMember & { health?: boolean })[] | null;
    return (body ?? []).map((member) => ({ ...toMemberView(member), health: member.health === true }));
  }

  /** `tikv_raftstore_region_count{type="leader"}` from a TiKV status endpoint, as the v1 operator reads it. */
  async tikvLeaderCount(endpoint: OperatorEndpoint, signal?: AbortSignal): Promise<number> {
    const text = await this.#text(endpoint, 'GET', '/metrics', undefined, signal);
    for (const line of text.split('\n')) {
      if (!line.startsWith('tikv_raftstore_region_count{')) continue;
      if (!/type="leader"/.test(line)) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(value)) return value;
    }
    throw new OperatorHttpError(`TiKV metrics at ${endpoint.origin} have no tikv_raftstore_region_count{type="leader"}`);
  }

  /** Aborts requests in flight and closes every connection pool. */
  async close(): Promise<void> {
    this.#closed.abort(new Error('operator PD client closed'));
    const agents = [...this.#agents.values()];
    this.#agents.clear();
    await Promise.all(agents.map((agent) => agent.destroy().catch(() => undefined)));
  }

  async #json(method: string, path: string, payload: unknown, signal?: AbortSignal): Promise<unknown> {
    const endpoint = await this.#resolve();
    const text = await this.#text(endpoint, method, path, payload, signal);
    if (text.trim() === '') return null;
    try {
      // Member and cluster ids are uint64: keep them exact as strings.
      return JSON.parse(text.replace(/"(member_id|cluster_id)": *(\d{16,})/g, '"$1": "$2"'));
    } catch (error) {
      throw new OperatorHttpError(`${method} ${path} at ${endpoint.origin}: answer is not JSON`, undefined, error);
    }
  }

  async #text(endpoint: OperatorEndpoint, method: string, path: string, payload: unknown, signal?: AbortSignal): Promise<string> {
    if (this.#closed.signal.aborted) throw new OperatorHttpError(`${method} ${path}: the client is closed`);
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = AbortSignal.any(signal ? [signal, timeout, this.#closed.signal] : [timeout, this.#closed.signal]);
    let response;
    try {
      response = await request(new URL(path, endpoint.origin), {
        method: method as 'GET',
        dispatcher: this.#agent(endpoint.tls),
        signal: combined,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
    } catch (error) {
      throw new OperatorHttpError(`${method} ${path} at ${endpoint.origin} failed: ${(error as Error).message}`, undefined, error);
    }
    const text = await response.body.text();
    if (response.statusCode >= 400) {
      throw new OperatorHttpError(
        `${method} ${path} at ${endpoint.origin} failed with status ${response.statusCode}: ${text.trim()}`,
        response.statusCode,
      );
    }
    return text;
  }

  #agent(tls: ClientTls | undefined): Agent {
    const key = tls ? tls.cert : '';
    let agent = this.#agents.get(key);
    if (!agent) {
      agent = new Agent({
        allowH2: false,
        keepAliveTimeout: 1000,
        connect: tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : undefined,
      });
      this.#agents.set(key, agent);
    }
    return agent;
  }
}

interface RawStore {
  store?: {
    id?: number;
    address?: string;
    status_address?: string;
    version?: string;
    state_name?: string;
    node_state?: number;
    start_timestamp?: number;
  };
  status?: { leader_count?: number; region_count?: number; is_busy?: boolean };
}

interface RawMember {
  name?: string;
  member_id?: number | string;
  client_urls?: string[];
}

function toStoreView(raw: RawStore): PdStoreView {
  const store = raw.store ?? {};
  return {
    id: store.id ?? 0,
    address: store.address ?? '',
    statusAddress: store.status_address ?? '',
    version: store.version ?? '',
    stateName: store.state_name ?? 'Up',
    nodeState: store.node_state === undefined ? (store.state_name === undefined ? undefined : 'Preparing') : NODE_STATES[store.node_state],
    startTimestampSec: store.start_timestamp ?? 0,
    leaderCount: raw.status?.leader_count ?? 0,
    regionCount: raw.status?.region_count ?? 0,
    isBusy: raw.status?.is_busy === true,
  };
}

function toMemberView(raw: RawMember): PdMemberView {
  return { name: raw.name ?? '', memberId: String(raw.member_id ?? ''), clientUrls: raw.client_urls ?? [] };
}
