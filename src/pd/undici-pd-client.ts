import { backoffDelayMs, sleep, type BackoffPolicy } from '../backoff.ts';
import type { HttpTarget } from '../http-target.ts';
import { HttpNoAnswerError, createHttpTransport, type HttpAnswer, type HttpTransport } from '../http-transport.ts';
import type { EvictLeaderState, PdClient, RegionCheckKind, RemoveEvictLeaderResult } from './pd-client.ts';
import {
  parseEvictLeaderConfig,
  parseHealth,
  parseMembers,
  parseRegionCheck,
  parseReplicationConfig,
  parseScheduleConfig,
  parseSchedulerNames,
  parseVersion,
} from './pd-answers.ts';
import {
  PdConnectionError,
  PdError,
  PdLeaderTransferPausedError,
  PdNotBootstrappedError,
  PdProtocolError,
  PdResponseError,
  PdStoreNotFoundError,
  PdTimeoutError,
  PdTlsError,
  PdUnavailableError,
  type PdAnswer,
  type PdRequestRef,
} from './pd-errors.ts';
import { decodePdErrorBody, parsePdJson } from './pd-json.ts';
import { EVICT_LEADER_SCHEDULER, checkStoreId, isEvictLeaderSchedulerName, legacyEvictLeaderStoreId, pdRoutes } from './pd-routes.ts';
import { parseStoreInfo, parseStoresBody } from './pd-store-info.ts';

/** Tuning of the undici PD client; every field has a default suited to an interactive tool. */
export interface PdClientOptions {
  /** One attempt (connect + answer) fails after this long. Default 10 000. */
  timeoutMs?: number;
  /** Retries of an idempotent request after a connection failure, a timeout or a 5xx/429. Default 3. */
  retries?: number;
  /** First retry waits ~this long (half to all of it), doubling up to `retryMaxDelayMs`. Default 200. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Connections kept open to PD (each one is a port-forward stream). Default 4. */
  connections?: number;
  /** Opening one connection fails after this long. Default min(timeoutMs, 10 000). */
  connectTimeoutMs?: number;
  /** Jitter source in [0, 1), for tests. */
  random?: () => number;
}

/**
 * Retry policy. GETs are retried. POST is never retried: adding a scheduler twice is harmless to PD, but a POST
 * whose answer was lost may have been applied, and the caller must learn that by reading `evictLeaderState()`
 * rather than have it hidden. DELETE of a store from the evict-leader scheduler *is* retried: PD answers 404 once
 * the store is out, so a repeat after a lost answer ends in `absent`; both outcomes mean "not in the scheduler",
 * which is what every cleanup path needs, and cleanup must survive a flaky tunnel.
 */
type Retry = 'retry' | 'once';

interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  retry: Retry;
  signal?: AbortSignal;
  jsonBody?: string;
  /** Which non-2xx answers are answers, not failures (returned to the caller, never retried). */
  isAnswer?: (answer: HttpAnswer) => boolean;
  /** The store a call is about, to type store-specific errors. */
  storeId?: number;
}

const NOT_BOOTSTRAPPED = /not bootstrapped/i;
const STORE_NOT_FOUND = /\bstore (?:id )?(\d+) not found/i;
const SCHEDULER_NOT_FOUND = /scheduler not found|config does not exist/i;
const SCHEDULER_EXISTED = /scheduler existed/i;

/** A PdClient speaking PD's HTTP API with undici over the target (a port-forward stream or TCP, TLS/mTLS when https). */
export function createPdClient(target: HttpTarget, options: PdClientOptions = {}): PdClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const policy: BackoffPolicy = {
    retries: options.retries ?? 3,
    baseDelayMs: options.retryBaseDelayMs ?? 200,
    maxDelayMs: options.retryMaxDelayMs ?? 2_000,
  };
  if (options.random) policy.random = options.random;
  const transport: HttpTransport = createHttpTransport(target, {
    connections: options.connections ?? 4,
    connectTimeoutMs: options.connectTimeoutMs ?? Math.min(timeoutMs, 10_000),
  });

  async function call(request: Call): Promise<HttpAnswer> {
    const ref: PdRequestRef = { method: request.method, path: request.path, target: target.description };
    for (let attempt = 0; ; attempt++) {
      let failure: PdError;
      let retryable: boolean;
      try {
        const answer = await transport.request({
          method: request.method,
          path: request.path,
          jsonBody: request.jsonBody,
          timeoutMs,
          signal: request.signal,
        });
        if ((answer.status >= 200 && answer.status < 300) || request.isAnswer?.(answer)) return answer;
        const refused = responseError(ref, answer, request.storeId);
        failure = refused;
        retryable = isTransientAnswer(refused);
      } catch (error) {
        if (!(error instanceof HttpNoAnswerError)) throw error;
        failure = noAnswerError(ref, error, timeoutMs);
        retryable = !error.permanent;
      }
      if (request.retry === 'once' || attempt >= policy.retries || !retryable) throw failure;
      await sleep(backoffDelayMs(attempt, policy), request.signal);
    }
  }

  async function getJson<T>(path: string, signal: AbortSignal | undefined, parse: (value: unknown) => T, storeId?: number): Promise<T> {
    const answer = await call({ method: 'GET', path, retry: 'retry', signal, storeId });
    return parseAnswer({ method: 'GET', path, target: target.description }, answer, parse);
  }

  async function evictLeaderState(signal?: AbortSignal): Promise<EvictLeaderState> {
    const names = await getJson(pdRoutes.schedulers, signal, parseSchedulerNames);
    const schedulerNames = names.filter(isEvictLeaderSchedulerName).sort();
    const storeIds = new Set<number>();
    for (const name of schedulerNames) {
      const storeId = legacyEvictLeaderStoreId(name);
      if (storeId !== undefined) storeIds.add(storeId);
    }
    if (schedulerNames.includes(EVICT_LEADER_SCHEDULER)) {
      const path = pdRoutes.evictLeaderConfigList;
      const answer = await call({ method: 'GET', path, retry: 'retry', signal, isAnswer: (a) => a.status === 404 });
      if (answer.status === 404) {
        // The scheduler went away between the two reads (its last store was removed): nothing evicts through it.
        schedulerNames.splice(schedulerNames.indexOf(EVICT_LEADER_SCHEDULER), 1);
      } else {
        const config = parseAnswer({ method: 'GET', path, target: target.description }, answer, parseEvictLeaderConfig);
        for (const storeId of config.storeIds) storeIds.add(storeId);
      }
    }
    return { storeIds: [...storeIds].sort((a, b) => a - b), schedulerNames };
  }

  return {
    async stores(opts = {}) {
      const stores = await getJson(pdRoutes.stores({ includeTombstone: opts.includeTombstone }), opts.signal, parseStoresBody);
      return opts.includeTombstone ? stores : stores.filter((store) => store.stateName !== 'Tombstone');
    },

    async store(storeId, opts = {}) {
      return await getJson(pdRoutes.store(storeId), opts.signal, (value) => parseStoreInfo(value), storeId);
    },

    async schedulers(opts = {}) {
      return await getJson(pdRoutes.schedulers, opts.signal, parseSchedulerNames);
    },

    async evictLeaderState(opts = {}) {
      return await evictLeaderState(opts.signal);
    },

    async addEvictLeader(storeId, opts = {}) {
      // PD ≤ v3.0 keeps one scheduler per store and refuses to create `evict-leader-scheduler-<id>` twice (500
      // "scheduler existed"): the store is already being evicted, which is what was asked.
      const alreadyEvicting = (answer: HttpAnswer) => answer.status === 500 && SCHEDULER_EXISTED.test(decodePdErrorBody(answer.text).pdMessage);
      await call({
        method: 'POST',
        path: pdRoutes.schedulers,
        retry: 'once',
        signal: opts.signal,
        storeId,
        jsonBody: JSON.stringify({ name: EVICT_LEADER_SCHEDULER, store_id: checkStoreId(storeId) }),
        isAnswer: alreadyEvicting,
      });
    },

    async removeEvictLeader(storeId, opts = {}): Promise<RemoveEvictLeaderResult> {
      const path = pdRoutes.evictLeaderStore(storeId);
      // 404 (`null`) means the store or the whole scheduler is not there; older PD said so with a 500
      // "scheduler not found". Either way PD is asked again which stores it evicts before saying `absent`.
      const isAbsent = (answer: HttpAnswer) =>
        answer.status === 404 || (answer.status === 500 && SCHEDULER_NOT_FOUND.test(decodePdErrorBody(answer.text).pdMessage));
      const answer = await call({ method: 'DELETE', path, retry: 'retry', signal: opts.signal, storeId, isAnswer: isAbsent });
      if (answer.status >= 200 && answer.status < 300) return 'removed';
      const ref: PdRequestRef = { method: 'DELETE', path, target: target.description };
      const pdAnswer: PdAnswer = { status: answer.status, body: answer.text, ...decodePdErrorBody(answer.text) };
      const state = await evictLeaderState(opts.signal);
      if (state.storeIds.includes(storeId)) {
        throw new PdResponseError(ref, {
          ...pdAnswer,
          pdMessage: `${pdAnswer.pdMessage === '' ? 'not found' : pdAnswer.pdMessage} (yet store ${storeId} is still listed in ${state.schedulerNames.join(', ')})`,
        });
      }
      return 'absent';
    },

    async members(opts = {}) {
      return await getJson(pdRoutes.members, opts.signal, parseMembers);
    },

    async health(opts = {}) {
      return await getJson(pdRoutes.health, opts.signal, parseHealth);
    },

    async version(opts = {}) {
      return await getJson(pdRoutes.version, opts.signal, parseVersion);
    },

    async replicationConfig(opts = {}) {
      return await getJson(pdRoutes.replicationConfig, opts.signal, parseReplicationConfig);
    },

    async scheduleConfig(opts = {}) {
      return await getJson(pdRoutes.scheduleConfig, opts.signal, parseScheduleConfig);
    },

    async regionCheck(kind: RegionCheckKind, opts = {}) {
      return await getJson(pdRoutes.regionCheck(kind), opts.signal, parseRegionCheck);
    },

    async ready(opts = {}) {
      // 404: PD before v8.5.2 has no readiness endpoint and serves as soon as it answers. 500: regions not loaded yet.
      const answer = await call({ method: 'GET', path: pdRoutes.ready, retry: 'retry', signal: opts.signal, isAnswer: (a) => a.status === 404 || a.status === 500 });
      return answer.status !== 500;
    },

    async close() {
      await transport.close();
    },
  };
}

/** The typed error for a PD error answer. */
function responseError(ref: PdRequestRef, answer: HttpAnswer, storeId: number | undefined): PdResponseError {
  const decoded = decodePdErrorBody(answer.text);
  const pdAnswer: PdAnswer = { status: answer.status, body: answer.text, ...decoded };
  if (answer.status === 503) return new PdUnavailableError(ref, pdAnswer);
  if (NOT_BOOTSTRAPPED.test(decoded.pdMessage)) return new PdNotBootstrappedError(ref, pdAnswer);
  if (decoded.pdCode === 'PD:core:ErrPauseLeaderTransfer' && storeId !== undefined) {
    return new PdLeaderTransferPausedError(ref, pdAnswer, storeId);
  }
  const notFound = STORE_NOT_FOUND.exec(decoded.pdMessage);
  if (decoded.pdCode === 'PD:core:ErrStoreNotFound' || notFound) {
    const missing = notFound ? Number(notFound[1]) : storeId;
    if (missing !== undefined) return new PdStoreNotFoundError(ref, pdAnswer, missing);
  }
  return new PdResponseError(ref, pdAnswer);
}

function noAnswerError(ref: PdRequestRef, error: HttpNoAnswerError, timeoutMs: number): PdConnectionError {
  switch (error.kind) {
    case 'timeout':
      return new PdTimeoutError(ref, error.timeoutMs ?? timeoutMs, error);
    case 'tls':
      return new PdTlsError(ref, error.cause ?? error);
    case 'connection':
      return new PdConnectionError(ref, error.cause ?? error);
  }
}

/** An error answer worth another attempt: no PD leader, overload, or a 5xx that is not one of PD's definite answers. */
function isTransientAnswer(error: PdResponseError): boolean {
  if (error instanceof PdNotBootstrappedError || error instanceof PdStoreNotFoundError || error instanceof PdLeaderTransferPausedError) {
    return false;
  }
  return error.status >= 500 || error.status === 429;
}

function parseAnswer<T>(ref: PdRequestRef, answer: HttpAnswer, parse: (value: unknown) => T): T {
  try {
    return parse(parsePdJson(answer.text));
  } catch (error) {
    throw new PdProtocolError(ref, answer.status, answer.text, error);
  }
}
