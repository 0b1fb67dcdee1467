/**
 * Script results through the API (read-only): NodeScriptResultsHandler (`nodes/<id>/results/`),
 * NodeScriptResultHandler (`nodes/<id>/results/<id>/`, also `current-<kind>`) and the legacy
 * NodeResultsHandler (`commissioning-results/`). Shapes as maas-api-spec §10.4.
 */
import type { ScriptResultRow } from '../../../store/repos/metadata.ts';
import { legacyResults, machineResultSet, machineResults, SET_KINDS, type SetWithResults } from '../../../services/metadata/results-query.ts';
import { crud, p, type HandlerDecl } from '../declare.ts';
import { isoTime, uri } from '../render/common.ts';

const STATUS_NAMES = ['Pending', 'Running', 'Passed', 'Failed', 'Timed out', 'Aborted', 'Degraded', 'Installing dependencies',
  'Failed installing dependencies', 'Skipped', 'Applying custom network configuration', 'Failed to apply custom network configuration'];
const TYPE_NAMES = { commissioning: 'Commissioning', installation: 'Installation', testing: 'Testing', release: 'Release' };
const RUNNING = [1, 7, 10];
const FAILED = [3, 4, 5, 8, 11];

/** MAAS shows runtimes as H:MM:SS. */
const runtime = (seconds: number | null) => {
  if (seconds === null) return '0:00:00';
  const s = Math.round(seconds);
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const epoch = (d: Date | null) => (d ? new Date(d).getTime() / 1000 : '');

/** A set's status from its results: running while any runs, failed if any failed, passed when all passed. */
function setStatus(results: ScriptResultRow[]): number {
  if (!results.length) return 0;
  if (results.some((r) => RUNNING.includes(r.status))) return 1;
  if (results.some((r) => r.status === 0)) return results.every((r) => r.status === 0) ? 0 : 1;
  const failed = results.find((r) => FAILED.includes(r.status));
  return failed ? failed.status : results.every((r) => r.status === 9) ? 9 : 2;
}

function renderResult(r: ScriptResultRow, includeOutput: boolean) {
  const out: Record<string, unknown> = {
    id: r.id, created: isoTime(r.created), updated: isoTime(r.updated), name: r.name, status: r.status, status_name: STATUS_NAMES[r.status] ?? 'Unknown',
    exit_status: r.exit_status, started: isoTime(r.started), ended: isoTime(r.ended), runtime: runtime(r.runtime),
    starttime: epoch(r.started), endtime: epoch(r.ended), estimated_runtime: runtime(r.runtime), parameters: {}, script_id: null, script_revision_id: null,
    suppressed: false,
  };
  if (includeOutput) for (const k of ['output', 'stdout', 'stderr', 'result'] as const) out[k] = Buffer.from(r[k]).toString('base64');
  return out;
}

function renderSet(s: SetWithResults, includeOutput: boolean) {
  const started = s.results.map((r) => r.started).filter((d): d is Date => d !== null).map((d) => new Date(d).getTime());
  const ended = s.results.map((r) => r.ended).filter((d): d is Date => d !== null).map((d) => new Date(d).getTime());
  const status = setStatus(s.results);
  const done = s.results.length > 0 && s.results.every((r) => r.ended !== null);
  const start = started.length ? new Date(Math.min(...started)) : null;
  const end = done && ended.length ? new Date(Math.max(...ended)) : null;
  return {
    id: s.set.id, system_id: s.system_id, type: SET_KINDS.indexOf(s.set.kind), type_name: TYPE_NAMES[s.set.kind],
    last_ping: isoTime(s.set.last_ping), status, status_name: STATUS_NAMES[status], started: isoTime(start), ended: isoTime(end),
    runtime: runtime(start && end ? (end.getTime() - start.getTime()) / 1000 : null),
    results: s.results.map((r) => renderResult(r, includeOutput)), suppressed: [],
    resource_uri: uri(`/nodes/${s.system_id}/results/${s.set.id}/`),
  };
}

const READ_PARAMS = [
  p.str('hardware_type', 'Only return scripts for the given hardware type (accepted; Plinth\'s results are all for the node).'),
  p.bool('include_output', 'Include the base64 encoded output from the script if any output was produced.'),
  p.str('filters', 'A comma separated list to show only results that ran with a script name or tag.'),
];

const filtered = (s: SetWithResults, filters: string | undefined) => {
  const names = (filters ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  return names.length ? { ...s, results: s.results.filter((r) => names.includes(r.name)) } : s;
};

export const NodeScriptResultsHandler: HandlerDecl = {
  name: 'NodeScriptResultsHandler',
  path: '/nodes/{system_id}/results/',
  doc: 'Manage node script results.',
  actions: [
    crud.read('Return script results', async ({ svc, user, path, args }) =>
      (await machineResults(svc, user, path.system_id, args.str('type')))
        .map((s) => renderSet(filtered(s, args.str('filters')), args.bool('include_output') ?? false)),
    [p.str('type', 'Only return scripts with the given type: commissioning, testing, installation or release.'), ...READ_PARAMS]),
  ],
};

export const NodeScriptResultHandler: HandlerDecl = {
  name: 'NodeScriptResultHandler',
  path: '/nodes/{system_id}/results/{id}/',
  doc: 'Manage node script results.',
  actions: [
    crud.read('Get specific script result', async ({ svc, user, path, args }) =>
      renderSet(filtered(await machineResultSet(svc, user, path.system_id, path.id), args.str('filters')), args.bool('include_output') ?? false), READ_PARAMS),
  ],
};

export const NodeResultsHandler: HandlerDecl = {
  name: 'NodeResultsHandler',
  path: '/commissioning-results/',
  doc: 'Read the collection of commissioning script results.',
  actions: [
    crud.read('Read the collection of commissioning script results', async ({ svc, user, args }) => {
      const sets = await legacyResults(svc, user, { system_id: args.list('system_id'), name: args.list('name'), result_type: args.str('result_type') });
      return sets.flatMap((s) => s.results.map((r) => ({
        name: r.name, script_result: r.exit_status, result_type: SET_KINDS.indexOf(s.set.kind), updated: isoTime(r.updated), created: isoTime(r.created),
        node: { system_id: s.system_id }, data: Buffer.from(r.output.length ? r.output : r.stdout).toString('base64'),
        resource_uri: uri('/commissioning-results/'),
      })));
    }, [
      p.list('system_id', 'An optional list of system ids. Only the results related to the nodes with these system ids will be returned.'),
      p.list('name', 'An optional list of names. Only the results with the specified names will be returned.'),
      p.str('result_type', 'An optional result_type. Only the results with the specified result_type will be returned.'),
    ]),
  ],
};
