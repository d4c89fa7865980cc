/**
 * What the Odoo button methods need from the sync engine. Declared here so this module compiles
 * on its own; the engine (server/sync) provides it as `services.sync`.
 */
export interface SyncStarter {
  startStoredProject(projectDbId: number, mode: 'force' | 'smart', requestedBy: string): Promise<{ run_id: number; state: string }>;
}

/** The engine from the app's services, if this process has one. */
export function syncStarterOf(services: object): SyncStarter | undefined {
  const s = (services as { sync?: Partial<SyncStarter> }).sync;
  return s && typeof s.startStoredProject === 'function' ? (s as SyncStarter) : undefined;
}
