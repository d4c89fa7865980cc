import { createHash } from 'node:crypto';
import { NULL_GUID } from '../server/guid';
import type { FixtureElevation, FixtureProject } from './fixture';

/**
 * A lowercase name-based (version 5 style) GUID: the same namespace and parts give the same id on
 * every run, so enlarged or generated fixtures keep their ids between runs of a bench.
 */
export function derivedGuid(namespace: string, ...parts: string[]): string {
  const h = createHash('sha1')
    .update([namespace, ...parts].join('|'))
    .digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** An elevation record under new ids (its parts list follows the new id: the generator's default seed is a hash of it). */
export function copyElevation(e: FixtureElevation, id: string, versionId: string): FixtureElevation {
  const copy = { ...structuredClone(e), id, versionId };
  if (copy.partsList?.seed !== undefined) {
    // A source seed would make the copy's parts list byte-identical to its source's.
    const { seed: _seed, ...rest } = copy.partsList;
    copy.partsList = rest;
  }
  return copy;
}

/**
 * A copy of `p` under new ids. The default phase keeps the null GUID (unique per project); other
 * phases, elevations and version ids get new GUIDs derived from `namespace` and the new project id.
 * Thumbnail file names stay: the emulator serves them from its thumbnails dir whatever fixture it loads.
 */
export function copyProject(p: FixtureProject, to: { namespace: string; id: string; name: string }): FixtureProject {
  const { namespace, id } = to;
  return {
    ...structuredClone(p),
    id,
    name: to.name,
    phases: p.phases.map((phase) => ({
      ...structuredClone(phase),
      id: phase.id === NULL_GUID ? NULL_GUID : derivedGuid(namespace, 'phase', id, phase.id),
      elevations: phase.elevations.map((e) =>
        copyElevation(e, derivedGuid(namespace, 'elevation', id, e.id), derivedGuid(namespace, 'version', id, e.versionId)),
      ),
    })),
  };
}
