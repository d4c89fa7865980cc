export type FaultKind =
  'serverError' | 'timeout' | 'cutOff' | 'lostReply' | 'malformedListing' | 'emptyListing' | 'unavailable' | 'corruptPartsList';

export interface EmulatorStats {
  /** Sessions created by POST /auth: cut-off logins are rolled back, a lost reply's session counts (it holds a seat). */
  logins: number;
  /** Sessions ended by DELETE /auth. */
  logouts: number;
  openSessions: number;
  /** Highest openSessions since start or resetStats(). */
  peakSessions: number;
  /** Logins refused because maxSessions sessions were open. */
  refusedLogins: number;
  /** Logins rejected for bad credentials or a malformed body. */
  failedLogins: number;
  /** Sessions dropped by the idle-expiry rule. */
  expiredSessions: number;
  /** Key: "METHOD /swagger/path" (e.g. "GET /elevations/{elevationId}/thumbnail"); unknown routes: "UNKNOWN". */
  callsByEndpoint: Record<string, number>;
  /** Every injected fault of any kind (5xx, hang, cut-off, lost reply, listing body, "down" 503, corrupt parts list). */
  errorsInjected: number;
  faultsInjected: Record<FaultKind, number>;
  /** Injected faults per endpoint key; "DELETE /auth" here = logouts the client had to retry. */
  faultsByEndpoint: Record<string, number>;
  /** Parts lists actually generated (cache misses). */
  partsListsGenerated: number;
  /** Parts lists delivered whole (200, not cut off, lost or replaced by a fault): what the client received. */
  partsListDownloads: number;
  /** Distinct elevations among those downloads: equal to partsListDownloads when each was downloaded once. */
  partsListElevations: number;
  /** Per elevation id: its deliveries and the decoded size of the last one, in bytes. */
  partsListDownloadsByElevation: Record<string, { downloads: number; bytes: number }>;
  /**
   * Licence time: the sum over sessions of how long each was open since start or resetStats(),
   * open ones up to now (an idle-expired one until it expired).
   */
  sessionSeconds: number;
  /** The modelled latency of every API call answered (LogiKal's working time, at the current scale), summed. */
  latencySeconds: number;
  /**
   * Seats held idle, per endpoint key: the time from the emulator's answer to a call until that
   * session's next call or its end, summed over sessions — e.g. under "GET /elevations/selected/parts-list",
   * what clients did with the file before they logged out; under "POST /auth", logins made ahead of need.
   */
  idleSecondsAfter: Record<string, number>;
}

export class StatsCollector {
  private s: EmulatorStats = StatsCollector.empty();
  private closedSessionMs = 0;

  static empty(): EmulatorStats {
    return {
      logins: 0,
      logouts: 0,
      openSessions: 0,
      peakSessions: 0,
      refusedLogins: 0,
      failedLogins: 0,
      expiredSessions: 0,
      callsByEndpoint: {},
      errorsInjected: 0,
      faultsInjected: {
        serverError: 0,
        timeout: 0,
        cutOff: 0,
        lostReply: 0,
        malformedListing: 0,
        emptyListing: 0,
        unavailable: 0,
        corruptPartsList: 0,
      },
      faultsByEndpoint: {},
      partsListsGenerated: 0,
      partsListDownloads: 0,
      partsListElevations: 0,
      partsListDownloadsByElevation: {},
      sessionSeconds: 0,
      latencySeconds: 0,
      idleSecondsAfter: {},
    };
  }

  /** `openSessionMs`: what the sessions still open have held since start or reset (only the session store knows). */
  snapshot(openSessionMs = 0): EmulatorStats {
    const s = structuredClone(this.s);
    s.sessionSeconds = (this.closedSessionMs + openSessionMs) / 1000;
    return s;
  }

  /** Counters back to zero; openSessions (a fact, not a counter) is kept and becomes the new peak. */
  reset(): void {
    const open = this.s.openSessions;
    this.s = StatsCollector.empty();
    this.closedSessionMs = 0;
    this.s.openSessions = open;
    this.s.peakSessions = open;
  }

  bump(key: 'logins' | 'logouts' | 'refusedLogins' | 'failedLogins' | 'expiredSessions' | 'partsListsGenerated'): void {
    this.s[key]++;
  }

  /** A login undone by the emulator itself (its reply was cut off): not a login the client saw. */
  loginRolledBack(): void {
    this.s.logins--;
  }

  /** A session gone (logged out, expired, dropped), with the time it held a seat since start or reset. */
  sessionClosed(heldMs: number): void {
    this.closedSessionMs += Math.max(0, heldMs);
  }

  heldIdle(endpoint: string, ms: number): void {
    if (ms > 0) this.s.idleSecondsAfter[endpoint] = (this.s.idleSecondsAfter[endpoint] ?? 0) + ms / 1000;
  }

  latencySpent(ms: number): void {
    this.s.latencySeconds += ms / 1000;
  }

  partsListDelivered(elevationId: string, bytes: number): void {
    this.s.partsListDownloads++;
    const seen = this.s.partsListDownloadsByElevation[elevationId];
    if (seen) {
      seen.downloads++;
      seen.bytes = bytes;
    } else {
      this.s.partsListDownloadsByElevation[elevationId] = { downloads: 1, bytes };
      this.s.partsListElevations++;
    }
  }

  call(endpoint: string): void {
    this.s.callsByEndpoint[endpoint] = (this.s.callsByEndpoint[endpoint] ?? 0) + 1;
  }

  fault(kind: FaultKind, endpoint: string): void {
    this.s.errorsInjected++;
    this.s.faultsInjected[kind]++;
    this.s.faultsByEndpoint[endpoint] = (this.s.faultsByEndpoint[endpoint] ?? 0) + 1;
  }

  setOpenSessions(n: number): void {
    this.s.openSessions = n;
    if (n > this.s.peakSessions) this.s.peakSessions = n;
  }
}
