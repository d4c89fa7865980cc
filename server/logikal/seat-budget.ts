/**
 * The LogiKal licence budget a process draws its sessions from. Alone (the embedded store) the
 * session pool's own cap is the budget; instances sharing PostgreSQL take their seats through the
 * database (server/db/db-seat-budget.ts), so together they never exceed LOGIKAL_MAX_SESSIONS.
 */
export interface SeatBudget {
  /**
   * Waits (first come, first served across every instance) for a free seat, then returns it.
   * Gives up with `stopped()`'s error once that returns one (a shutdown).
   */
  take(stopped: () => Error | undefined): Promise<Seat>;
}

/** A seat held: given back after the session's logout (or a failed login). Never throws. */
export interface Seat {
  release(): Promise<void>;
}

/**
 * Told when a login starts waiting for a seat (the local cap or the shared budget is full) and,
 * through the function it returns, when that wait ends: sync.status says a run waits for a licence.
 */
export type SeatWaitListener = () => () => void;
