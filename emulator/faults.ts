import type { HostileKind } from './parts-list-generator';

/** The listing endpoints, whose 200 body a listing fault replaces. */
export const LISTING_ENDPOINTS: readonly string[] = ['GET /directories', 'GET /projects', 'GET /phases', 'GET /elevations'];

/**
 * What a listing fault puts in place of a listing's 200 body (the call itself still takes effect):
 * 'emptyBody' no body at all, 'emptyObject' `{}`, 'nullData' `{"data":null,…}` — malformed, a
 * client must not read them as "nothing listed" — and 'emptyList' `{"data":[],…}`, a valid empty
 * listing (for the confirm-before-retiring path).
 */
export type ListingFault = 'emptyBody' | 'emptyObject' | 'nullData' | 'emptyList';
const LISTING_FAULTS: readonly string[] = ['emptyBody', 'emptyObject', 'nullData', 'emptyList'];

/**
 * A fault forced onto the next matching call, before the random rates are consulted. 'lostReply':
 * the call takes effect (a login creates its session, holding a seat), then the connection is
 * dropped without a byte of reply. Listing faults need a listing endpoint.
 */
export interface ScriptedFault {
  /** Endpoint key as in stats.callsByEndpoint, e.g. "DELETE /auth"; omitted = the next call of any kind. */
  endpoint?: string;
  kind: 'serverError' | 'timeout' | 'cutOff' | 'lostReply' | ListingFault;
  /** 'serverError': the status to answer (any 4xx or 5xx, e.g. 409 on a select), with the generic error text. */
  status?: number;
  /** Matching calls let through before this one strikes (default 0: the next). */
  after?: number;
}

/**
 * LogiKal down: 'refuse' closes the listening port (connection refused; the control door goes with
 * it), 'unavailable' answers every API call at once with IIS's 503 page (an app pool that is stopped).
 */
export type DownMode = 'refuse' | 'unavailable';

export interface FaultOptions {
  /** PRNG seed; the same seed and call sequence give the same faults. Default 1. */
  seed?: number;
  /** Fraction 0..1 of calls answered with a 5xx JSON error instead of being processed. */
  serverErrorRate?: number;
  /** Status for injected server errors (default 500). */
  serverErrorStatus?: number;
  /** Fraction of calls that never get an answer: the socket is held, then destroyed. */
  timeoutRate?: number;
  /** How long a "timeout" call hangs before the socket is destroyed (default 300 s). */
  hangSeconds?: number;
  /** Fraction of calls whose reply is cut after the headers and half the body. */
  cutOffRate?: number;
  /** Limit the random faults to these endpoint keys (default: every API endpoint). */
  endpoints?: string[];
  /** Elevation names or ids whose parts list is served corrupt (a 200 with bad bytes). */
  corruptPartsLists?: string[];
  /** Which corruption (default 'bit-flips'). */
  corruptKind?: HostileKind;
  /** One-shot faults, consumed in order. */
  script?: ScriptedFault[];
  /** Every 200 of these listing endpoints gets this body (e.g. {"GET /projects": "nullData"}), until changed. */
  listings?: Record<string, ListingFault>;
  /** LogiKal is down until the faults change (or for downForSeconds). */
  down?: DownMode;
  /** Back up by itself after this long (0/unset = until the faults change); needed to leave 'refuse' over HTTP. */
  downForSeconds?: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'serverError'; status: number }
  | { kind: 'timeout'; hangMs: number }
  | { kind: 'cutOff' }
  | { kind: 'lostReply' }
  | { kind: 'listing'; listing: ListingFault };

/** mulberry32: tiny, deterministic, good enough to spread faults. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rate(v: number | undefined, name: string): number {
  const r = v ?? 0;
  if (!Number.isFinite(r) || r < 0 || r > 1) throw new RangeError(`${name} must be between 0 and 1`);
  return r;
}

export class FaultPlan {
  private random: () => number;
  private script: ScriptedFault[];

  constructor(readonly options: Readonly<FaultOptions> = {}) {
    const total =
      rate(options.serverErrorRate, 'serverErrorRate') + rate(options.timeoutRate, 'timeoutRate') + rate(options.cutOffRate, 'cutOffRate');
    if (total > 1) throw new RangeError('the fault rates add up to more than 1');
    const status = options.serverErrorStatus ?? 500;
    if (!Number.isInteger(status) || status < 500 || status > 599) throw new RangeError('serverErrorStatus must be 5xx');
    this.random = prng(options.seed ?? 1);
    for (const f of options.script ?? []) {
      if (f.after !== undefined && !(Number.isInteger(f.after) && f.after >= 0))
        throw new RangeError("a scripted fault's after must be an integer >= 0");
      if (f.status !== undefined && !(Number.isInteger(f.status) && f.status >= 400 && f.status <= 599))
        throw new RangeError("a scripted fault's status must be 4xx or 5xx");
      if (LISTING_FAULTS.includes(f.kind) && !LISTING_ENDPOINTS.includes(f.endpoint ?? ''))
        throw new RangeError(`a ${f.kind} fault needs one of the listing endpoints ${LISTING_ENDPOINTS.join(', ')}`);
    }
    for (const [endpoint, kind] of Object.entries(options.listings ?? {})) {
      if (!LISTING_ENDPOINTS.includes(endpoint))
        throw new RangeError(`listings: ${endpoint} is not one of ${LISTING_ENDPOINTS.join(', ')}`);
      if (!LISTING_FAULTS.includes(kind)) throw new RangeError(`listings: ${endpoint} must be one of ${LISTING_FAULTS.join(', ')}`);
    }
    if (options.down !== undefined && options.down !== 'refuse' && options.down !== 'unavailable')
      throw new RangeError("down must be 'refuse' or 'unavailable'");
    const forSeconds = options.downForSeconds ?? 0;
    if (!Number.isFinite(forSeconds) || forSeconds < 0) throw new RangeError('downForSeconds must be >= 0');
    this.script = (options.script ?? []).map((f) => ({ ...f }));
  }

  /** One decision per API call; the PRNG advances only for calls the random faults cover. */
  decide(endpoint: string): FaultDecision {
    const i = this.script.findIndex((s) => s.endpoint === undefined || s.endpoint === endpoint);
    if (i >= 0 && (this.script[i].after ?? 0) > 0) {
      this.script[i].after = (this.script[i].after ?? 0) - 1;
    } else if (i >= 0) {
      const [s] = this.script.splice(i, 1);
      return this.build(s.kind, s.status);
    }
    const o = this.options;
    const listing = o.listings?.[endpoint];
    if (listing !== undefined) return { kind: 'listing', listing };
    if (o.endpoints && !o.endpoints.includes(endpoint)) return { kind: 'none' };
    const se = o.serverErrorRate ?? 0;
    const to = o.timeoutRate ?? 0;
    const co = o.cutOffRate ?? 0;
    if (se + to + co === 0) return { kind: 'none' };
    const u = this.random();
    if (u < se) return this.build('serverError');
    if (u < se + to) return this.build('timeout');
    if (u < se + to + co) return this.build('cutOff');
    return { kind: 'none' };
  }

  corruptKindFor(elevationId: string, elevationName: string): HostileKind | undefined {
    const list = this.options.corruptPartsLists;
    if (!list || list.length === 0) return undefined;
    const id = elevationId.toLowerCase();
    const hit = list.some((x) => x === elevationName || x.toLowerCase() === id);
    return hit ? (this.options.corruptKind ?? 'bit-flips') : undefined;
  }

  private build(kind: ScriptedFault['kind'], status?: number): FaultDecision {
    if (kind === 'serverError') return { kind, status: status ?? this.options.serverErrorStatus ?? 500 };
    if (kind === 'timeout') return { kind, hangMs: (this.options.hangSeconds ?? 300) * 1000 };
    if (kind === 'cutOff' || kind === 'lostReply') return { kind };
    return { kind: 'listing', listing: kind };
  }
}
