import type { ElevationHome } from './fixture-index';
import { seedFor } from './fixture-index';
import { NULL_GUID } from '../server/logikal/logikal-types';
import { generateHostilePartsList, generatePartsList, type HostileKind, type PartsListSpec } from './parts-list-generator';

export interface CachedPartsList {
  base64: string;
  bytes: number;
}

/**
 * Parts lists are generated on first download (synchronous, ~100 ms each) and kept as base64, so
 * repeat downloads cost nothing. The key includes the seed, so touchElevation() yields a new file.
 */
export class PartsListCache {
  private cache = new Map<string, CachedPartsList>();

  constructor(private onGenerate: () => void = () => {}) {}

  get(home: Pick<ElevationHome, 'elevation' | 'phase' | 'project'>, corrupt?: HostileKind): CachedPartsList {
    const spec = specFor(home);
    const key = `${home.elevation.id}|${spec.seed}|${corrupt ?? 'ok'}`;
    let hit = this.cache.get(key);
    if (!hit) {
      const buf = corrupt ? generateHostilePartsList(corrupt, spec) : generatePartsList(spec);
      this.onGenerate();
      hit = { base64: buf.toString('base64'), bytes: buf.length };
      this.cache.set(key, hit);
    }
    return hit;
  }

  /** Drops every cached variant of one elevation (after it changed). */
  forget(elevationId: string): void {
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${elevationId}|`)) this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }
}

export function specFor({ elevation, phase, project }: Pick<ElevationHome, 'elevation' | 'phase' | 'project'>): PartsListSpec {
  const p = elevation.partsList ?? {};
  const spec: PartsListSpec = {
    projectName: project.name,
    projectGuid: project.id,
    // SQLite exports leave the default phase unnamed, whatever (localised) name the API shows.
    phaseName: phase.id === NULL_GUID ? '' : phase.name,
    elevationName: elevation.name,
    elevationGuid: elevation.id,
    widthMm: elevation.width,
    heightMm: elevation.height,
    seed: p.seed ?? seedFor(elevation.id),
  };
  if (p.systemCode !== undefined) spec.systemCode = p.systemCode;
  if (p.systemName !== undefined) spec.systemName = p.systemName;
  if (p.systemLongName !== undefined) spec.systemLongName = p.systemLongName;
  if (p.colorBaseLong !== undefined) spec.colorBaseLong = p.colorBaseLong;
  if (p.glassCount !== undefined) spec.glassCount = p.glassCount;
  if (p.alternatives !== undefined) spec.alternatives = p.alternatives;
  if (p.decoyNames !== undefined) spec.decoyNames = p.decoyNames;
  if (p.targetBytes !== undefined) spec.targetBytes = p.targetBytes;
  return spec;
}
