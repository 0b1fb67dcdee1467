/**
 * The scripts Plinth ships (shipped.ts) as the API shows them: `default`, read only, numbered by their
 * place in services/commissioning/builtin.ts (new ones are appended, so ids stay put) and 999 for the
 * modalias script, with one version whose id is the script's own. Stored scripts are numbered from 1001
 * (migration 013).
 */
import { BUILTIN_SCRIPTS, type BuiltinScript } from '../commissioning/builtin.ts';
import { HARDWARE_NAMES, SCRIPT_TYPE, type ScriptView } from './model.ts';
import { MODALIASES, MODALIASES_ID } from './shipped.ts';

export const FIRST_STORED_ID = 1001;
/** When this region process loaded the built-in scripts: their version's date. */
const LOADED = new Date();

const KIND_TYPE = { commissioning: SCRIPT_TYPE.COMMISSIONING, testing: SCRIPT_TYPE.TESTING, release: SCRIPT_TYPE.RELEASE };
const PARALLEL = { none: 0, instance: 1, any: 2 };

function view(s: BuiltinScript, id: number): ScriptView {
  const hardware = Math.max(0, HARDWARE_NAMES.findIndex((n) => n.toLowerCase() === s.hardware_type));
  return {
    id, name: s.name, title: '', description: s.content.split('\n').find((l) => l.startsWith('# '))?.slice(2).trim() ?? '',
    tags: s.tags, script_type: KIND_TYPE[s.kind], hardware_type: hardware, parallel: PARALLEL[s.parallel], timeout: s.timeout_seconds,
    destructive: s.destructive ?? false, default: true, for_hardware: [], may_reboot: s.may_reboot, recommission: false,
    apply_configured_networking: false, parameters: { ...(s.parameters ?? {}) }, packages: { ...s.packages }, results: {},
    history: [{ id, comment: 'Shipped with Plinth', created: LOADED, content: s.content }],
  };
}

export const builtinViews = (): ScriptView[] => [...BUILTIN_SCRIPTS.map((s, i) => view(s, i + 1)), view(MODALIASES, MODALIASES_ID)];
export const builtinByName = (name: string) => builtinViews().find((s) => s.name === name);
export const builtinById = (id: number) => (id === MODALIASES_ID ? view(MODALIASES, id)
  : id >= 1 && id <= BUILTIN_SCRIPTS.length ? view(BUILTIN_SCRIPTS[id - 1], id) : undefined);
