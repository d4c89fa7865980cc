import { setTimeout as delay } from 'node:timers/promises';

/** Seconds per call, from the real server's measured timings (logikal-api.md §6.1). */
export interface LatencyProfile {
  login: number;
  logout: number;
  version: number;
  directories: number;
  directoriesSelect: number;
  projects: number;
  projectsSelect: number;
  projectsSelected: number;
  phases: number;
  phasesSelect: number;
  elevations: number;
  thumbnail: number;
  elevationsSelect: number;
  partsListBase: number;
  /** Extra seconds per MB (1e6 bytes) of the decoded SQLite file. */
  partsListPerMb: number;
  quotationPrice: number;
  /** Anything not listed, including error replies for unknown routes. */
  other: number;
}

export const DEFAULT_LATENCY: Readonly<LatencyProfile> = Object.freeze({
  login: 4.5,
  logout: 0.1,
  version: 0.05,
  directories: 0.05,
  directoriesSelect: 0.1,
  projects: 0.15,
  projectsSelect: 0.8,
  projectsSelected: 0.05,
  phases: 0.19,
  phasesSelect: 0.2,
  elevations: 0.5,
  thumbnail: 0.05,
  elevationsSelect: 0.19,
  partsListBase: 1,
  partsListPerMb: 1,
  quotationPrice: 0.05,
  other: 0.05,
});

export type LatencyKey = Exclude<keyof LatencyProfile, 'partsListPerMb'>;

export function latencyMs(profile: LatencyProfile, scale: number, key: LatencyKey, bytes = 0): number {
  let seconds = profile[key];
  if (key === 'partsListBase') seconds += profile.partsListPerMb * (bytes / 1e6);
  return Math.max(0, seconds * scale * 1000);
}

/** Resolves true after ms, or false as soon as the signal aborts (client gone, emulator stopping). */
export async function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
