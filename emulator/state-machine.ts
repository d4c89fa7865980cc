import type { FixtureDirectory, FixtureElevation, FixturePhase, FixtureProject } from './fixture';
import type { FixtureIndex } from './fixture-index';
import { ApiError, isGuid, mappingConflict, MSG } from './http-util';

/**
 * Session navigation: root → directory → project → phase → elevation (see logikal-api.md §2).
 *
 * Rules (strict default, the reading of the swagger + what the predecessor observed):
 * - An operation that needs state X in any other state → 405 with the swagger text for X
 *   (root counts as a directory). Non-select operations never move the session.
 * - A select resolves its identifier against the children of the current context only.
 * - A select issued *below* its required state (elevation select in project state) → 405.
 * - A select that would move up (phase state → directory select, as observed: 409 'Demo Odoo')
 *   or sideways (elevation → other or same elevation, directory → parent/sibling) → 409
 *   "…isn't valid in the current mapping." whether or not the identifier exists anywhere.
 * - At the right state: a child → 200; an identifier that exists elsewhere in the project center
 *   (other directory's project, other project's phase incl. any null GUID) → 409; a well-formed
 *   identifier that exists nowhere → 404; a malformed GUID / empty path → 400.
 * Knobs: allowSiblingSelect turns the sideways case into a select among the parent's children
 * (directory state: any existing directory); moving up stays 409. getDirectoriesResetsToDirectory
 * makes GET /directories in project/phase/elevation state fall back to the project's directory.
 */
export type Level = 'root' | 'directory' | 'project' | 'phase' | 'elevation';

export interface NavContext {
  level: Level;
  dir?: FixtureDirectory;
  project?: FixtureProject;
  phase?: FixturePhase;
  elevation?: FixtureElevation;
}

export interface NavOptions {
  allowSiblingSelect: boolean;
  getDirectoriesResetsToDirectory: boolean;
}

type Required = 'directory' | 'project' | 'phase' | 'elevation';
type SelectKind = 'directory' | 'project' | 'phase' | 'elevation';

const DEPTH: Record<Level, number> = { root: 0, directory: 0, project: 1, phase: 2, elevation: 3 };
const EXPECTS: Record<Required, string> = {
  directory: MSG.expectsDirectory,
  project: MSG.expectsProject,
  phase: MSG.expectsPhase,
  elevation: MSG.expectsElevation,
};
const REQUIRED_FOR_SELECT: Record<SelectKind, Required> = {
  directory: 'directory',
  project: 'directory',
  phase: 'project',
  elevation: 'phase',
};

/** 405 unless the session is exactly in `required` (root satisfies 'directory'). */
export function requireState(ctx: NavContext, required: Required): void {
  if (DEPTH[ctx.level] !== DEPTH[required]) throw new ApiError(405, EXPECTS[required]);
}

/** GET /directories: immediate children of the current directory (root: the root folders). */
export function listDirectories(ctx: NavContext, index: FixtureIndex, opts: NavOptions): { ctx: NavContext; dirs: FixtureDirectory[] } {
  let next = ctx;
  if (opts.getDirectoriesResetsToDirectory && DEPTH[ctx.level] > 0) next = { level: 'directory', dir: ctx.dir };
  requireState(next, 'directory');
  return { ctx: next, dirs: index.childDirs(next.dir) };
}

function readIdentifier(kind: SelectKind, body: Record<string, unknown>): string {
  const id = body.identifier;
  if (kind === 'directory') {
    if (typeof id !== 'string' || id.trim() === '') throw new ApiError(400, MSG.badRequest);
    return id;
  }
  if (!isGuid(id)) throw new ApiError(400, MSG.badRequest);
  return id;
}

/** Children of the current context for this kind of select, and "does it exist anywhere". */
function candidates(
  kind: SelectKind,
  scope: NavContext,
  index: FixtureIndex,
): { find: (id: string) => NavContext | undefined; existsAnywhere: (id: string) => boolean } {
  switch (kind) {
    case 'directory':
      return {
        find: (id) => {
          const dir = index.childDirs(scope.dir).find((d) => d.path === id);
          return dir && { level: 'directory', dir };
        },
        existsAnywhere: (id) => index.dirs.has(id),
      };
    case 'project':
      return {
        find: (id) => {
          const project = (scope.dir?.projects ?? []).find((p) => p.id === id);
          return project && { level: 'project', dir: scope.dir, project };
        },
        existsAnywhere: (id) => index.projects.has(id),
      };
    case 'phase':
      return {
        find: (id) => {
          const phase = scope.project?.phases.find((p) => p.id === id);
          return phase && { level: 'phase', dir: scope.dir, project: scope.project, phase };
        },
        existsAnywhere: (id) => index.phaseIds.has(id),
      };
    case 'elevation':
      return {
        find: (id) => {
          const elevation = scope.phase?.elevations.find((e) => e.id === id);
          return elevation && { level: 'elevation', dir: scope.dir, project: scope.project, phase: scope.phase, elevation };
        },
        existsAnywhere: (id) => index.elevations.has(id),
      };
  }
}

/** The context whose children a sideways select picks from (the current item's parent). */
function parentScope(ctx: NavContext): NavContext {
  switch (ctx.level) {
    case 'elevation':
      return { level: 'phase', dir: ctx.dir, project: ctx.project, phase: ctx.phase };
    case 'phase':
      return { level: 'project', dir: ctx.dir, project: ctx.project };
    case 'project':
      return { level: 'directory', dir: ctx.dir };
    default:
      return ctx;
  }
}

/**
 * POST /{directories|projects|phases|elevations}/select: the session's next context, or an ApiError.
 * Check order: 405 (state) → 400 (body) → 409/404 (identifier), so the body is read only when needed.
 */
export async function select(
  kind: SelectKind,
  ctx: NavContext,
  body: () => Promise<Record<string, unknown>>,
  index: FixtureIndex,
  opts: NavOptions,
): Promise<NavContext> {
  const required = REQUIRED_FOR_SELECT[kind];
  const cur = DEPTH[ctx.level];
  if (cur < DEPTH[required]) throw new ApiError(405, EXPECTS[required]);
  const raw = readIdentifier(kind, await body());
  const id = kind === 'directory' ? raw : raw.toLowerCase();
  const target = kind === 'directory' ? 0 : DEPTH[kind];

  if (cur > target) throw new ApiError(409, mappingConflict(raw));
  if (cur === target && kind !== 'directory') {
    if (!opts.allowSiblingSelect) throw new ApiError(409, mappingConflict(raw));
    const c = candidates(kind, parentScope(ctx), index);
    const next = c.find(id);
    if (next) return next;
    throw new ApiError(c.existsAnywhere(id) ? 409 : 404, c.existsAnywhere(id) ? mappingConflict(raw) : MSG.notFound);
  }

  const c = candidates(kind, ctx, index);
  const next = c.find(id);
  if (next) return next;
  if (kind === 'directory' && opts.allowSiblingSelect) {
    const dir = index.dirs.get(id);
    if (dir) return { level: 'directory', dir };
  }
  if (c.existsAnywhere(id)) throw new ApiError(409, mappingConflict(raw));
  throw new ApiError(404, MSG.notFound);
}
