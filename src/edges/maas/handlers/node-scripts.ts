/**
 * Custom commissioning and testing scripts: NodeScriptsHandler (`scripts/`, the CLI's `node-scripts`)
 * and NodeScriptHandler (`scripts/{name}`, no trailing slash as in MAAS; `{name}` may be the id).
 * Plinth's built-in scripts are listed beside the stored ones as `default: true` and are read-only.
 * Shapes as maas-api-spec §10.4 (Script).
 */
import { invalid } from '../../../domain/errors.ts';
import { addScriptTag } from '../../../services/scripts/add-tag.ts';
import { createScript } from '../../../services/scripts/create-script.ts';
import { deleteScript } from '../../../services/scripts/delete-script.ts';
import { downloadScript } from '../../../services/scripts/download-script.ts';
import { getScript } from '../../../services/scripts/get-script.ts';
import type { ScriptForm } from '../../../services/scripts/input.ts';
import { listScripts } from '../../../services/scripts/list-scripts.ts';
import { formatDuration, HARDWARE_NAMES, PARALLEL_NAMES, TYPE_NAMES, type ScriptView } from '../../../services/scripts/model.ts';
import { removeScriptTag } from '../../../services/scripts/remove-tag.ts';
import { revertScript } from '../../../services/scripts/revert-script.ts';
import { updateScript } from '../../../services/scripts/update-script.ts';
import type { Args } from '../args.ts';
import { crud, op, p, type ActionCtx, type HandlerDecl, type ParamSpec } from '../declare.ts';
import { noContent } from '../replies.ts';
import { uri } from '../render/common.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');
/** RFC 2822 in UTC, as Python's email.utils.format_datetime writes MAAS's history dates. */
const rfc2822 = (d: Date) =>
  `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} -0000`;

export function renderScript(s: ScriptView, includeScript = false) {
  return {
    id: s.id, name: s.name, title: s.title, description: s.description, tags: s.tags,
    type: s.script_type, type_name: TYPE_NAMES[s.script_type] ?? 'unknown',
    hardware_type: s.hardware_type, hardware_type_name: HARDWARE_NAMES[s.hardware_type],
    parallel: s.parallel, parallel_name: PARALLEL_NAMES[s.parallel],
    results: s.results, parameters: s.parameters, packages: s.packages, timeout: formatDuration(s.timeout),
    destructive: s.destructive, for_hardware: s.for_hardware, may_reboot: s.may_reboot, recommission: s.recommission,
    history: s.history.map((v) => ({
      id: v.id, comment: v.comment, created: rfc2822(v.created), ...(includeScript ? { data: Buffer.from(v.content).toString('base64') } : {}),
    })),
    default: s.default, apply_configured_networking: s.apply_configured_networking,
    resource_uri: uri(`/scripts/${encodeURIComponent(s.name)}`),
  };
}

const FORM_PARAMS: ParamSpec[] = [
  p.str('title', 'The title of the script.'),
  p.str('description', 'A description of what the script does.'),
  p.str('tags', 'A comma separated list of tags for this script.'),
  p.str('type', 'When the script is used: testing or commissioning. Defaults to testing.'),
  p.str('script_type', 'The same as type.'),
  p.str('hardware_type', 'The hardware the script is associated with: node, cpu, memory, storage, network or gpu. Defaults to node.'),
  p.str('parallel', 'Whether the script may run in parallel with other scripts: disabled (0), instance (1) to run along scripts with the same name, or any (2).'),
  p.str('timeout', 'How long the script may run before it fails: seconds or HH:MM:SS. 0 (the default) gives unlimited time.'),
  p.bool('destructive', 'Whether the script overwrites data on any drive of the running system. Defaults to false.'),
  p.file('script', 'The content of the script, uploaded as a file (its filename is ignored). Metadata embedded in it between "# --- Start MAAS 1.0 script metadata ---" and "# --- End MAAS 1.0 script metadata ---" sets the fields not given here.'),
  p.str('comment', 'A comment about what this change does (with script).'),
  p.str('for_hardware', 'A list of modalias, PCI IDs and/or USB IDs the script is for. Each must start with modalias:, pci:, usb:, system_vendor:, system_product:, system_version:, mainboard_vendor: or mainboard_product:.'),
  p.bool('may_reboot', 'Whether the script may reboot the system while running.'),
  p.bool('recommission', 'Whether the built-in commissioning scripts run again after this script succeeds.'),
  p.bool('apply_configured_networking', 'Whether to apply the configured network settings before the script runs.'),
  p.str('packages', 'Packages to install before the script runs, as JSON: {"apt": [...], "snap": [...], "url": [...]}.'),
];
const CREATE_PARAMS: ParamSpec[] = [p.str('name', 'The name of the script (required here or in the embedded metadata).'), ...FORM_PARAMS];
const UPDATE_PARAMS: ParamSpec[] = [p.str('name', 'A new name for the script.'), ...FORM_PARAMS];
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The request's fields; the script comes from the `script` part, or (as MAAS) from a lone file part named after the script. */
function scriptForm({ args, req }: ActionCtx, specs: ParamSpec[]): ScriptForm {
  let name = args.str('name');
  let file = args.file('script');
  if (!file) {
    const others = req.files.filter((f) => !specs.some((s) => s.name === f.name));
    if (others.length === 1 && req.files.length === 1) { file = others[0]; name ??= others[0].name; }
  }
  let script: string | undefined;
  if (file) {
    try { script = utf8.decode(file.data); } catch { throw invalid({ script: ['The script must be UTF-8 text.'] }); }
  }
  const s = (k: string) => args.str(k);
  const b = (k: string) => args.bool(k);
  return {
    name, title: s('title'), description: s('description'), tags: s('tags'), script_type: s('script_type') ?? s('type'),
    hardware_type: s('hardware_type'), parallel: s('parallel'), timeout: s('timeout'), destructive: b('destructive'), script,
    comment: s('comment'), for_hardware: s('for_hardware'), may_reboot: b('may_reboot'), recommission: b('recommission'),
    apply_configured_networking: b('apply_configured_networking'), packages: s('packages'),
  };
}

const includeScript = (args: Args) => args.bool('include_script') ?? false;
const INCLUDE = p.bool('include_script', 'Include the base64 encoded script content (in each history entry).');

export const NodeScriptsHandler: HandlerDecl = {
  name: 'NodeScriptsHandler',
  path: '/scripts/',
  doc: 'Manage custom scripts.\n\nThis functionality is only available to administrators.',
  actions: [
    crud.read('List stored scripts', async ({ svc, args }) =>
      (await listScripts(svc, { type: args.str('type'), hardware_type: args.str('hardware_type'), filters: args.str('filters') }))
        .map((s) => renderScript(s, includeScript(args))), [
      p.str('type', 'Only return scripts with the given type: testing or commissioning. Defaults to both.'),
      p.str('hardware_type', 'Only return scripts for the given hardware type: node, cpu, memory, storage, network or gpu. Defaults to all.'),
      INCLUDE,
      p.str('filters', 'A comma separated list to show only scripts with a name or tag in it.'),
    ]),
    crud.create('Create a new script', async (c) => renderScript(await createScript(c.svc, c.user, scriptForm(c, CREATE_PARAMS))), CREATE_PARAMS, true),
  ],
};

export const NodeScriptHandler: HandlerDecl = {
  name: 'NodeScriptHandler',
  path: '/scripts/{name}',
  aliases: ['/scripts/{name}/'],
  doc: 'Manage or view a custom script.',
  actions: [
    crud.read('Return script metadata', async ({ svc, path, args }) => renderScript(await getScript(svc, path.name), includeScript(args)), [INCLUDE]),
    crud.update('Update a script', async (c) => renderScript(await updateScript(c.svc, c.user, c.path.name, scriptForm(c, UPDATE_PARAMS))), UPDATE_PARAMS, true),
    crud.delete('Delete a script', async ({ svc, user, path }) => { await deleteScript(svc, user, path.name); return noContent; }, [], true),
    op('GET', 'download', 'Download a script', async ({ svc, path, args }) => ({
      status: 200, contentType: 'application/binary', body: Buffer.from(await downloadScript(svc, path.name, args.int('revision') ?? args.int('rev'))),
    }), [p.int('revision', 'What revision to download, latest by default. Can use rev as a shortcut.'), p.int('rev', 'The same as revision.')]),
    op('POST', 'revert', 'Revert a script version', async ({ svc, user, path, args }) => renderScript(await revertScript(svc, user, path.name, args.int('to')!)),
      [p.int('to', "What revision in the script's history to revert to: a version id, or a negative number of versions to go back.", true)], true),
    op('POST', 'add_tag', 'Add a tag', async ({ svc, user, path, args }) => renderScript(await addScriptTag(svc, user, path.name, args.str('tag')!)),
      [p.str('tag', 'The tag being added.', true)], true),
    op('POST', 'remove_tag', 'Remove a tag', async ({ svc, user, path, args }) => renderScript(await removeScriptTag(svc, user, path.name, args.str('tag')!)),
      [p.str('tag', 'The tag being removed.', true)], true),
  ],
};
