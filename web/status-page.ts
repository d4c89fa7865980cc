// The status page's script (built by `npm run build` with web/tsconfig.json, served as
// /status/assets/status-page.js). Everything shown is built with textContent, never HTML, because
// names come from LogiKal. The API key lives only in the sign-in field until it is posted; the
// session is an HttpOnly cookie and the CSRF token stays in this module's memory.

interface Failure {
  elevation: string;
  reason: string;
}
interface Run {
  run_id: number;
  kind: string;
  state: string;
  message: string;
  target: string;
  project_id: string;
  project_db_id: number | null;
  project_name: string | null;
  requested_by: string | null;
  elevations_synced: number;
  elevations_total: number;
  parts_lists_synced: number;
  parts_lists_failed: number;
  parts_lists_unchanged: number;
  duration_seconds: number;
  started_at: string;
  failures: Failure[];
  children: Run[];
}
interface ProjectRow {
  id: number;
  name: string;
  directory: string | null;
  active: boolean;
  elevations: number;
  failed_parses: number;
  last_synced_at: string | null;
}
interface Overview {
  runs: Run[];
  projects: ProjectRow[];
  logikal: { configured: boolean; sessions_open: number; sessions_max: number; effective_limit: number; waiting: number };
  nightly: Nightly;
  schema: { database: string; migrations: string; constraints: { ok: boolean; problems: number } | null };
  version: string;
}
interface Nightly {
  enabled: boolean;
  cron: string | null;
  timezone: string;
  next: string | null;
  last: {
    run_id: number;
    state: string;
    fire_at: string | null;
    started_at: string;
    projects_total: number;
    projects_synced: number;
    projects_failed: number;
  } | null;
}
interface Elevation {
  id: number;
  name: string;
  active: boolean;
  thumbnail: boolean;
  parse_status: string;
  parse_error: string | null;
  system: string | null;
  description: string | null;
  width: number | null;
  height: number | null;
  size_unit: string | null;
  weight: number | null;
  weight_unit: string | null;
  parts_count: number | null;
  glass: string[];
}
interface ProjectView {
  id: number;
  name: string;
  directory: string | null;
  last_synced_at: string | null;
  phases: Array<{ id: number; name: string; is_default: boolean; active: boolean; elevations: Elevation[] }>;
  runs: Run[];
}
interface SessionState {
  signed_in: boolean;
  name?: string;
  scopes?: string[];
  csrf_token?: string;
  message?: string;
}

type Child = Node | string | null | undefined | false;

const $ = (id: string): HTMLElement => document.getElementById(id)!;

function el(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

let session: SessionState = { signed_in: false };
let timer: number | undefined;
/** The request in flight, so that signing out waits for it instead of racing it. */
let inFlight: Promise<unknown> = Promise.resolve();

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (init.method === 'POST') {
    headers['Content-Type'] = 'application/json';
    if (session.csrf_token) headers['X-CSRF-Token'] = session.csrf_token;
  }
  const request = fetch(`/status/api/${path}`, { ...init, headers, credentials: 'same-origin' });
  inFlight = request.catch(() => undefined);
  const res = await request;
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body;
}

const when = (iso: string | null): string => (iso ? new Date(iso).toLocaleString() : 'never');
const num = (v: number | null, unit: string | null = null): string =>
  v === null ? '–' : `${Math.round(v * 100) / 100}${unit ? ` ${unit}` : ''}`;
const badge = (state: string): HTMLElement => el('span', { class: `badge state-${state}` }, state);
const canSync = (): boolean => session.scopes?.includes('sync') ?? false;

function projectLink(id: number, name: string): HTMLElement {
  return el('a', { href: `#/projects/${id}` }, name);
}

function runRow(r: Run): HTMLElement {
  const active = r.state === 'running' || r.state === 'queued';
  const target =
    r.project_db_id !== null ? projectLink(r.project_db_id, r.project_name ?? (r.project_id || r.target)) : el('span', {}, r.target);
  const counts =
    r.kind === 'nightly'
      ? `${r.children.length} project runs`
      : r.kind === 'projects' || r.kind === 'directories'
        ? ''
        : `${r.elevations_synced}/${r.elevations_total} elevations · ${r.parts_lists_synced} parsed · ${r.parts_lists_unchanged} unchanged · ${r.parts_lists_failed} failed`;
  const row = el(
    'li',
    { class: 'row', 'data-run': String(r.run_id) },
    el('span', { class: 'muted' }, `#${r.run_id}`),
    badge(r.state),
    el('span', {}, r.kind.replace('_', ' ')),
    el('span', { class: 'grow' }, target, ' ', el('span', { class: 'muted' }, counts)),
    el('span', { class: 'muted' }, `${when(r.started_at)} · ${r.duration_seconds} s`),
  );
  if (active && r.elevations_total > 0) {
    const pct = Math.min(
      100,
      Math.round(((r.parts_lists_synced + r.parts_lists_unchanged + r.parts_lists_failed) / r.elevations_total) * 100),
    );
    const bar = el('div');
    bar.style.width = `${pct}%`;
    row.append(el('div', { class: 'progress', role: 'progressbar', 'aria-valuenow': String(pct), 'aria-label': 'progress' }, bar));
  }
  if (r.message && r.state !== 'succeeded') row.append(el('span', { class: 'grow muted' }, r.message));
  if (r.failures.length) row.append(el('ul', { class: 'failures' }, ...r.failures.map((f) => el('li', {}, `${f.elevation}: ${f.reason}`))));
  if (r.children.length) row.append(el('ul', { class: 'list children' }, ...r.children.map(runRow)));
  return row;
}

function syncButtons(projectId: number): HTMLElement | null {
  if (!canSync()) return null;
  const button = (mode: 'smart' | 'force', label: string): HTMLElement => {
    const b = el('button', { type: 'button', class: mode === 'force' ? 'secondary' : '' }, label) as HTMLButtonElement;
    b.addEventListener('click', () => {
      b.disabled = true;
      void api<{ run_id: number }>(`projects/${projectId}/sync`, { method: 'POST', body: JSON.stringify({ mode }) })
        .then(() => refresh())
        .catch((err: unknown) => showError(err))
        .finally(() => {
          b.disabled = false;
        });
    });
    return b;
  };
  return el('span', { class: 'actions' }, button('smart', 'Smart sync'), button('force', 'Force sync'));
}

function tile(label: string, value: string, hint = ''): HTMLElement {
  return el(
    'div',
    { class: 'tile' },
    el('div', { class: 'label' }, label),
    el('div', { class: 'value' }, value),
    hint && el('div', { class: 'muted' }, hint),
  );
}

/** The next firing in the schedule's own time zone (the one SYNC_CRON is read in), and how the last nightly went. */
function nightlyTile(n: Nightly): HTMLElement {
  const inZone = (iso: string) =>
    new Date(iso).toLocaleString(undefined, { timeZone: n.timezone, dateStyle: 'medium', timeStyle: 'short' });
  const last = n.last
    ? `last ${n.last.state}: ${n.last.projects_synced} of ${n.last.projects_total} projects synced` +
      (n.last.projects_failed ? `, ${n.last.projects_failed} failed` : '') +
      ` (${inZone(n.last.fire_at ?? n.last.started_at)})`
    : 'no nightly has run yet';
  if (!n.enabled) return tile('Next nightly sync', 'disabled', `SYNC_CRON=off · ${last}`);
  return tile('Next nightly sync', n.next ? inZone(n.next) : 'never', `cron ${n.cron} in ${n.timezone} · ${last}`);
}

function renderOverview(o: Overview): HTMLElement[] {
  const s = o.schema;
  const schemaOk = s.database === 'ok' && s.migrations === 'current' && (s.constraints?.ok ?? true);
  const constraints = s.constraints
    ? s.constraints.ok
      ? 'constraints ok'
      : `${s.constraints.problems} constraint problems`
    : 'constraints: checking';
  const tiles = el(
    'section',
    { class: 'tiles', 'aria-label': 'health' },
    tile(
      'LogiKal sessions in use',
      `${o.logikal.sessions_open} of ${o.logikal.sessions_max}`,
      o.logikal.configured ? `${o.logikal.waiting} waiting` : 'LogiKal not configured',
    ),
    nightlyTile(o.nightly),
    tile('Schema', schemaOk ? 'healthy' : 'needs attention', `database ${s.database} · migrations ${s.migrations} · ${constraints}`),
    tile('Bridge', o.version, `${o.projects.length} projects mirrored`),
  );
  const runs = el(
    'section',
    { class: 'card', id: 'runs' },
    el('h2', {}, 'Recent sync runs'),
    o.runs.length ? el('ul', { class: 'list' }, ...o.runs.map(runRow)) : el('p', { class: 'muted' }, 'No sync has run yet.'),
  );
  const projects = el(
    'section',
    { class: 'card', id: 'projects' },
    el('h2', {}, 'Mirrored projects'),
    o.projects.length
      ? el(
          'ul',
          { class: 'list' },
          ...o.projects.map((p) =>
            el(
              'li',
              { class: 'row' },
              el('span', { class: 'grow' }, projectLink(p.id, p.name), ' ', el('span', { class: 'muted' }, p.directory ?? '')),
              el('span', {}, `${p.elevations} elevations`),
              p.failed_parses > 0 && el('span', { class: 'badge state-failed' }, `${p.failed_parses} failed parses`),
              !p.active && badge('inactive'),
              el('span', { class: 'muted' }, `synced ${when(p.last_synced_at)}`),
              syncButtons(p.id),
            ),
          ),
        )
      : el('p', { class: 'muted' }, 'No project is mirrored yet.'),
  );
  return [tiles, runs, projects];
}

function elevationCard(e: Elevation): HTMLElement {
  const size = e.width === null || e.height === null ? '–' : `${num(e.width)} × ${num(e.height)}${e.size_unit ? ` ${e.size_unit}` : ''}`;
  const facts: Array<[string, string]> = [
    ['System', e.system ?? '–'],
    ['Size', size],
    ['Weight', num(e.weight, e.weight_unit)],
    ['Parts', e.parts_count === null ? '–' : String(e.parts_count)],
    ['Glass', e.glass.length ? e.glass.join(', ') : '–'],
  ];
  return el(
    'article',
    { class: 'elevation', 'data-elevation': e.name },
    e.thumbnail
      ? el('img', { src: `/status/api/thumbnails/${e.id}`, alt: e.name, loading: 'eager' })
      : el('div', { class: 'muted' }, 'No thumbnail'),
    el('h4', {}, e.name, ' ', badge(e.parse_status), !e.active && badge('inactive')),
    e.description && el('p', { class: 'muted' }, e.description),
    el('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    e.parse_error && el('p', { class: 'error' }, `Parse failed: ${e.parse_error}`),
  );
}

function renderProject(p: ProjectView): HTMLElement[] {
  const head = el(
    'section',
    { class: 'card' },
    el('p', {}, el('a', { href: '#/' }, '← All projects')),
    el('h2', {}, p.name),
    el('p', { class: 'muted' }, `${p.directory ?? ''} · synced ${when(p.last_synced_at)}`),
    syncButtons(p.id),
  );
  const phases = p.phases.map((ph) =>
    el(
      'section',
      { class: 'card phase' },
      el('h3', {}, ph.is_default ? `${ph.name || 'Default phase'} (default phase)` : ph.name, !ph.active && badge('inactive')),
      ph.elevations.length
        ? el('div', { class: 'elevations' }, ...ph.elevations.map(elevationCard))
        : el('p', { class: 'muted' }, 'No elevations.'),
    ),
  );
  const runs = el('section', { class: 'card' }, el('h2', {}, 'Runs of this project'), el('ul', { class: 'list' }, ...p.runs.map(runRow)));
  return [head, ...phases, ...(p.runs.length ? [runs] : [])];
}

function showError(err: unknown): void {
  if (!session.signed_in) {
    $('sign-in-message').textContent = err instanceof Error ? err.message : String(err);
    return;
  }
  const msg = el('p', { class: 'error card', role: 'alert' }, err instanceof Error ? err.message : String(err));
  $('app').prepend(msg);
  setTimeout(() => msg.remove(), 6000);
}

async function refresh(): Promise<void> {
  clearTimeout(timer);
  if (!session.signed_in) return;
  const m = /^#\/projects\/(\d+)$/.exec(location.hash);
  let active = false;
  try {
    const parts = m ? renderProject(await api<ProjectView>(`projects/${m[1]}`)) : renderOverview(await api<Overview>('overview'));
    if (!session.signed_in) return;
    $('app').replaceChildren(...parts);
    active = document.querySelector('.state-running, .state-queued') !== null;
  } catch (err) {
    if (!session.signed_in) return;
    if (err instanceof Error && err.message === 'Not signed in') return show({ signed_in: false });
    showError(err);
  }
  // Live progress: poll quickly while a run is active, slowly otherwise.
  timer = window.setTimeout(() => void refresh(), active ? 1500 : 15000);
}

function show(state: SessionState): void {
  session = state;
  $('sign-in').hidden = state.signed_in;
  $('app').hidden = !state.signed_in;
  $('who').hidden = !state.signed_in;
  if (state.signed_in) {
    $('who-name').textContent = `${state.name ?? ''} (${(state.scopes ?? []).join(', ')})`;
    void refresh();
  } else {
    clearTimeout(timer);
    $('app').replaceChildren();
    ($('api-key') as HTMLInputElement).focus();
  }
}

async function signIn(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const input = $('api-key') as HTMLInputElement;
  const key = input.value;
  input.value = '';
  $('sign-in-message').textContent = '';
  const state = await api<SessionState>('session', { method: 'POST', body: JSON.stringify({ key }) });
  if (!state.signed_in) $('sign-in-message').textContent = state.message ?? 'That API key was not accepted.';
  show(state);
}

async function signOut(): Promise<void> {
  clearTimeout(timer);
  const csrf = session.csrf_token;
  session = { signed_in: false, csrf_token: csrf };
  await inFlight;
  await api('session/end', { method: 'POST', body: '{}' });
  show({ signed_in: false });
}

document.addEventListener('DOMContentLoaded', () => {
  $('sign-in-form').addEventListener('submit', (ev) => void signIn(ev).catch(showError));
  $('sign-out').addEventListener('click', () => void signOut().catch(showError));
  window.addEventListener('hashchange', () => void refresh());
  void api<SessionState>('session')
    .then(show)
    .catch(() => show({ signed_in: false }));
});
