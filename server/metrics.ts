import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SyncRunKind, SyncRunState } from '../entities';
import type { PoolStats } from './logikal/session-pool';

/** One LogiKal HTTP exchange, as the transport reports it (logikal-http.ts). */
export interface LogikalRequestObservation {
  method: string;
  /** The path with identifiers replaced: `/elevations/{id}/thumbnail`. */
  endpoint: string;
  /** The HTTP status, or `error` when no response came (timeout, refused, reset). */
  status: number | 'error';
  seconds: number;
}

/** A sync run that reached a terminal state in this process. */
export interface FinishedRun {
  kind: SyncRunKind;
  state: SyncRunState;
  seconds: number;
}

/** What the sync engine reports as it works; every member optional so tests and tools can pass none. */
export interface SyncTelemetry {
  logikalRequest?: (o: LogikalRequestObservation) => void;
  partsListParsed?: (seconds: number) => void;
  runFinished?: (run: FinishedRun) => void;
}

const PREFIX = 'logikal_bridge_';

/**
 * The bridge's Prometheus metrics (GET /metrics). Each app builds its own registry: tests run
 * several apps in one process, and prom-client's global registry would refuse the second set.
 * Label values are bounded: RPC methods come from the method table (anything else is `unknown`),
 * LogiKal endpoints are templates, outcomes are error class names.
 */
export class BridgeMetrics {
  readonly registry = new Registry();
  private readonly rpcRequests: Counter<'method' | 'outcome'>;
  private readonly rpcDuration: Histogram<'method'>;
  private readonly logikalDuration: Histogram<'endpoint' | 'status'>;
  private readonly syncRuns: Counter<'kind' | 'state'>;
  private readonly syncDuration: Histogram<'kind'>;
  private readonly parseSeconds: Histogram;
  private sessions: () => PoolStats | null = () => null;
  private refusalsSeen = 0;

  constructor(maxSessions: number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.rpcRequests = new Counter({
      name: `${PREFIX}rpc_requests_total`,
      help: 'RPC calls by method and outcome (ok, or the error class)',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.rpcDuration = new Histogram({
      name: `${PREFIX}rpc_duration_seconds`,
      help: 'RPC call duration by method',
      labelNames: ['method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    });
    this.logikalDuration = new Histogram({
      name: `${PREFIX}logikal_request_duration_seconds`,
      help: 'LogiKal MBIOE HTTP request duration by endpoint template and status',
      labelNames: ['endpoint', 'status'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.syncRuns = new Counter({
      name: `${PREFIX}sync_runs_total`,
      help: 'Sync runs finished in this process, by kind and final state',
      labelNames: ['kind', 'state'],
      registers,
    });
    this.syncDuration = new Histogram({
      name: `${PREFIX}sync_duration_seconds`,
      help: 'Sync run duration by kind',
      labelNames: ['kind'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    });
    this.parseSeconds = new Histogram({
      name: `${PREFIX}parts_list_parse_seconds`,
      help: 'Time to check and parse one parts-list file',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    const self = this;
    new Gauge({
      name: `${PREFIX}logikal_sessions_open`,
      help: 'LogiKal sessions logged in right now (each holds a licence seat)',
      registers,
      collect() {
        this.set(self.sessions()?.open ?? 0);
      },
    });
    new Gauge({
      name: `${PREFIX}logikal_sessions_max`,
      help: 'The cap on concurrent LogiKal sessions (LOGIKAL_MAX_SESSIONS)',
      registers,
      collect() {
        this.set(maxSessions);
      },
    });
    new Counter({
      name: `${PREFIX}logikal_login_refusals_total`,
      help: 'LogiKal logins refused for the licence/session cap',
      registers,
      collect() {
        // The pool counts; the counter catches up with it at each scrape.
        const now = self.sessions()?.refusedLogins ?? 0;
        if (now > self.refusalsSeen) this.inc(now - self.refusalsSeen);
        self.refusalsSeen = Math.max(self.refusalsSeen, now);
      },
    });
  }

  /** Where the session gauges read from: the sync engine's LogiKal client, once it exists. */
  watchSessions(stats: () => PoolStats | null): void {
    this.sessions = stats;
  }

  rpcCall(method: string, outcome: string, seconds: number): void {
    this.rpcRequests.inc({ method, outcome });
    this.rpcDuration.observe({ method }, seconds);
  }

  /** The hooks the sync engine calls. */
  syncTelemetry(): SyncTelemetry {
    return {
      logikalRequest: (o) => this.logikalDuration.observe({ endpoint: `${o.method} ${o.endpoint}`, status: String(o.status) }, o.seconds),
      partsListParsed: (seconds) => this.parseSeconds.observe(seconds),
      runFinished: (run) => {
        this.syncRuns.inc({ kind: run.kind, state: run.state });
        this.syncDuration.observe({ kind: run.kind }, run.seconds);
      },
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
