import { LogikalInvalidArgumentError, LogikalNotInMappingError, LogikalWrongStateError } from './logikal-errors';
import { assertGuid, sameGuid } from './logikal-types';
import type { LogikalPath } from './logikal-types';

export type SessionLevel = 'root' | 'directory' | 'project' | 'phase' | 'elevation';

export interface SessionPosition {
  level: SessionLevel;
  /** Full path of the selected directory (null at root). */
  directory: string | null;
  projectId: string | null;
  phaseId: string | null;
  elevationId: string | null;
}

/** One select on the way down: a full directory path, or the id of a project, phase or elevation. */
export type NavigationStep = { kind: 'directory'; value: string } | { kind: 'project' | 'phase' | 'elevation'; value: string };

export type ExpectedLevel = 'directory' | 'project' | 'phase' | 'elevation';

/** The sideways moves a server may allow (see capabilities.ts): to a sibling phase, or to a sibling elevation. */
export type SidewaysKind = 'phase' | 'elevation';

const EXPECTS: Record<ExpectedLevel, string> = {
  directory: 'This operation expects the session to be in a directory.',
  project: 'This operation expects the session to be in a project.',
  phase: 'This operation expects the session to be in a phase.',
  elevation: 'This operation expects the session to be in an elevation.',
};

const DEPTH: Record<SessionLevel, number> = { root: 0, directory: 0, project: 1, phase: 2, elevation: 3 };
/** What a select issued from each required state selects. */
const SELECTS: Record<'directory' | 'project' | 'phase', 'project' | 'phase' | 'elevation'> = {
  directory: 'project',
  project: 'phase',
  phase: 'elevation',
};

/**
 * Where a Logikal session stands on its one-way path (root → directory → project → phase →
 * elevation) and the selects taken to get there. Its checks refuse locally, with the errors the
 * strict server would answer, every move that would go up or sideways — except a sideways move
 * (phase → sibling phase, elevation → sibling elevation) while it is permitted, which only the
 * client does, while LogiKal is known (or being probed) to allow it. It does no I/O: the session
 * calls `enter` only after the server accepted a select.
 */
export class SessionNavigation {
  private trail: NavigationStep[] = [];
  private pos: SessionPosition = { level: 'root', directory: null, projectId: null, phaseId: null, elevationId: null };
  private sideways: SidewaysKind | null = null;

  /** Permits one kind of sideways move from now on (null: none, the strict default). */
  permitSideways(kind: SidewaysKind | null): void {
    this.sideways = kind;
  }

  get position(): Readonly<SessionPosition> {
    return { ...this.pos };
  }

  /** Refuses an operation (405-style) unless the session is at one of `levels`. */
  requireLevel(levels: SessionLevel[], expects: ExpectedLevel): void {
    if (!levels.includes(this.pos.level)) throw new LogikalWrongStateError(EXPECTS[expects], { local: true });
  }

  /**
   * Mirrors the strict server: a select issued above its required state is a 405; one issued at a
   * deeper state would move up or sideways, which the server answers with the 409 mapping error.
   */
  requireSelectFrom(required: 'directory' | 'project' | 'phase', identifier: string, operation: string): void {
    const have = DEPTH[this.pos.level];
    if (have < DEPTH[required]) throw new LogikalWrongStateError(EXPECTS[required], { operation, local: true });
    const sideways = have === DEPTH[required] + 1 && SELECTS[required] === this.sideways;
    if (have > DEPTH[required] && !sideways) throw notInMapping(identifier, operation);
  }

  /** Refuses a directory select unless `path` is a direct child of the current directory (or of root). */
  requireChildDirectory(path: string): void {
    const cur = this.pos;
    // The server resolves a path against the children of the current directory only, so each
    // select descends exactly one level. (Directory names are folder names: they cannot hold '/'.)
    const parent = cur.level === 'root' ? '' : cur.level === 'directory' && cur.directory !== null ? cur.directory + '/' : undefined;
    const child = parent !== undefined && path.startsWith(parent) ? path.slice(parent.length) : '';
    // Up, sideways or skipping a level: what the real server answered for a directory select from phase state (observed).
    if (child === '' || child.includes('/')) throw notInMapping(path, 'POST /directories/select');
  }

  /** Records a select the server accepted (a sideways one replaces the last step of the trail). */
  enter(step: NavigationStep): void {
    if (step.kind !== 'directory' && this.trail.at(-1)?.kind === step.kind) this.trail.pop();
    if (step.kind === 'directory') {
      this.pos = { level: 'directory', directory: step.value, projectId: null, phaseId: null, elevationId: null };
    } else if (step.kind === 'project') {
      this.pos = { ...this.pos, level: 'project', projectId: step.value };
    } else if (step.kind === 'phase') {
      this.pos = { ...this.pos, level: 'phase', phaseId: step.value, elevationId: null };
    } else {
      this.pos = { ...this.pos, level: 'elevation', elevationId: step.value };
    }
    this.trail.push(step);
  }

  /**
   * The selects still needed to reach `path` from here: the target's steps past the trail taken so
   * far. Refuses locally when the current position is not on the way to the target.
   */
  remainingSteps(path: LogikalPath): NavigationStep[] {
    const steps = targetSteps(path);
    const i = this.divergence(steps);
    if (i === this.trail.length) return steps.slice(i);
    // A sibling of the current phase or elevation, while such a move is permitted.
    if (this.sidewaysAt(steps, i) === this.sideways && this.sideways !== null) return steps.slice(i);
    // The current position is not on the way to the target: reaching it would mean going up or sideways.
    throw notInMapping(steps[i]?.value ?? '', 'walk');
  }

  /** The sideways move reaching `path` from here takes (whether permitted or not); undefined when the walk goes straight down. */
  sidewaysMove(path: LogikalPath): SidewaysKind | undefined {
    const steps = targetSteps(path);
    const i = this.divergence(steps);
    return i === this.trail.length ? undefined : this.sidewaysAt(steps, i);
  }

  /** How many steps of the trail the target shares. */
  private divergence(steps: NavigationStep[]): number {
    const trail = this.trail;
    let i = 0;
    for (; i < trail.length; i++) {
      const have = trail[i];
      const want = steps[i];
      const same = want?.kind === have.kind && (have.kind === 'directory' ? want.value === have.value : sameGuid(want.value, have.value));
      if (!same) break;
    }
    return i;
  }

  /** A sideways move when only the last step of the trail differs, by another phase or elevation. */
  private sidewaysAt(steps: NavigationStep[], i: number): SidewaysKind | undefined {
    const last = this.trail[i];
    if (i !== this.trail.length - 1 || steps[i]?.kind !== last.kind) return undefined;
    return last.kind === 'phase' || last.kind === 'elevation' ? last.kind : undefined;
  }
}

function notInMapping(identifier: string, operation: string): LogikalNotInMappingError {
  return new LogikalNotInMappingError(
    `The requested resource '${identifier}' cannot be set, because it isn't valid in the current mapping.`,
    { operation, local: true },
  );
}

/** Every select from root to `path`: each cumulative directory prefix (`A`, `A/B`, …), then the ids. */
function targetSteps(path: LogikalPath): NavigationStep[] {
  const segs = Array.isArray(path.directory) ? path.directory : path.directory === '' ? [] : path.directory.split('/');
  if (segs.some((s) => typeof s !== 'string' || s === '' || s.includes('/'))) {
    throw new LogikalInvalidArgumentError('directory path has an empty segment (or a segment with "/")', { local: true });
  }
  const steps: NavigationStep[] = [];
  let acc = '';
  for (const s of segs) {
    acc = acc === '' ? s : `${acc}/${s}`;
    steps.push({ kind: 'directory', value: acc });
  }
  if (path.phaseId !== undefined && path.projectId === undefined)
    throw new LogikalInvalidArgumentError('phaseId needs projectId', { local: true });
  if (path.elevationId !== undefined && path.phaseId === undefined)
    throw new LogikalInvalidArgumentError('elevationId needs phaseId', { local: true });
  if (path.projectId !== undefined) steps.push({ kind: 'project', value: assertGuid(path.projectId, 'projectId') });
  if (path.phaseId !== undefined) steps.push({ kind: 'phase', value: assertGuid(path.phaseId, 'phaseId') });
  if (path.elevationId !== undefined) steps.push({ kind: 'elevation', value: assertGuid(path.elevationId, 'elevationId') });
  return steps;
}
