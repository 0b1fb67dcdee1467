/**
 * index.json of the maas-scripts tar: `{"1.0": {"commissioning_scripts": [...], "testing_scripts":
 * [...], "release_scripts": [...]}}`. Checked by hand (the agent bundles no validation library);
 * anything unexpected is an error naming the field.
 */
export type Parallel = 'none' | 'instance' | 'any';

export interface ScriptEntry {
  name: string;
  path: string;
  script_result_id: number | null;
  script_version_id: number | null;
  timeout_seconds: number;
  parallel: Parallel;
  parameters: Record<string, { type?: string; argument_format?: string; value?: unknown }>;
  has_finished: boolean;
  /** What must be installed before it runs (absent: nothing). */
  packages?: ScriptPackages;
  /** One of Plinth's own scripts (the index's `default`): its tools are part of the ephemeral image. */
  default?: boolean;
}

/**
 * MAAS's `packages`: apt package names, snaps (a name, or `{name, channel, mode}`) and URLs. An entry
 * the agent cannot use is kept in `problems`, so that script's install fails saying why.
 */
export interface ScriptPackages { apt: string[]; snap: string[]; url: string[]; problems: string[] }

export interface ScriptsIndex { commissioning: ScriptEntry[]; testing: ScriptEntry[]; release: ScriptEntry[] }

const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parsePackages(v: unknown): ScriptPackages {
  const out: ScriptPackages = { apt: [], snap: [], url: [], problems: [] };
  if (v === undefined || v === null) return out;
  if (!obj(v)) return { ...out, problems: ['packages is not a mapping of apt, snap and url lists'] };
  for (const kind of ['apt', 'snap', 'url'] as const) {
    const raw = v[kind];
    if (raw === undefined || raw === null) continue;
    for (const x of Array.isArray(raw) ? raw : [raw]) {
      const name = kind === 'snap' && obj(x) ? x.name : x;
      if (typeof name === 'string' && name.trim()) out[kind].push(name.trim());
      else out.problems.push(`${kind} entry ${JSON.stringify(x)} is not a ${kind === 'url' ? 'URL' : 'package name'}`);
    }
  }
  return out;
}
// MAAS serves `parallel` as its enum number (0 disabled, 1 instance, 2 any); Plinth may name it.
const PARALLEL: Record<string, Parallel> = { 0: 'none', 1: 'instance', 2: 'any', none: 'none', disabled: 'none', instance: 'instance', any: 'any' };

function entry(v: unknown, where: string): ScriptEntry {
  if (!obj(v)) throw new Error(`${where} is not an object.`);
  const name = v.name;
  if (typeof name !== 'string' || !/^[\w.+-]{1,255}$/.test(name)) throw new Error(`${where}.name is not a script name.`);
  const path = typeof v.path === 'string' ? v.path : name;
  const id = (x: unknown, f: string) => {
    if (x === undefined || x === null) return null;
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new Error(`${where}.${f} is not an integer.`);
    return x;
  };
  const timeout = v.timeout_seconds ?? 0;
  if (typeof timeout !== 'number' || timeout < 0) throw new Error(`${where}.timeout_seconds is not a number of seconds.`);
  const parallel = PARALLEL[String(v.parallel ?? 'none')];
  if (!parallel) throw new Error(`${where}.parallel '${String(v.parallel)}' is not none, instance or any.`);
  const parameters = v.parameters === undefined || v.parameters === null ? {} : v.parameters;
  if (!obj(parameters)) throw new Error(`${where}.parameters is not an object.`);
  return {
    name, path, script_result_id: id(v.script_result_id, 'script_result_id'), script_version_id: id(v.script_version_id, 'script_version_id'),
    timeout_seconds: timeout, parallel, parameters: parameters as ScriptEntry['parameters'], has_finished: v.has_finished === true,
    packages: parsePackages(v.packages), default: v.default === true,
  };
}

export function parseIndex(text: string): ScriptsIndex {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) { throw new Error(`index.json is not JSON: ${(e as Error).message}`); }
  const v1 = obj(raw) ? raw['1.0'] : undefined;
  if (!obj(v1)) throw new Error('index.json has no "1.0" section.');
  const list = (k: string) => {
    const xs = v1[k] ?? [];
    if (!Array.isArray(xs)) throw new Error(`index.json: ${k} is not a list.`);
    return xs.map((x, i) => entry(x, `${k}[${i}]`));
  };
  return { commissioning: list('commissioning_scripts'), testing: list('testing_scripts'), release: list('release_scripts') };
}

/** The command-line arguments a script's parameters ask for (MAAS's argument_format rules). */
export function scriptArgs(e: ScriptEntry): string[] {
  const args: string[] = [];
  for (const p of Object.values(e.parameters)) {
    if (!obj(p) || typeof p.argument_format !== 'string') continue;
    const fmt = p.argument_format;
    if (p.type === 'storage' && obj(p.value)) {
      const d = p.value as Record<string, unknown>;
      const path = typeof d.id_path === 'string' && d.id_path ? d.id_path : `/dev/${String(d.name ?? '')}`;
      args.push(...fmt.replace('{path}', path).replace('{name}', String(d.name ?? '')).replace('{model}', String(d.model ?? ''))
        .replace('{serial}', String(d.serial ?? '')).split(' ').filter(Boolean));
    } else if (p.type === 'boolean') {
      if (p.value === true) args.push(...fmt.split(' ').filter(Boolean));
    } else if (p.type !== 'runtime' && p.value !== undefined && p.value !== null && p.value !== '') {
      args.push(...fmt.replace('{input}', String(p.value)).split(' ').filter(Boolean));
    }
  }
  return args;
}

/** A runtime parameter overrides the timeout. */
export function timeoutOf(e: ScriptEntry): number {
  const rt = Object.values(e.parameters).find((p) => obj(p) && p.type === 'runtime' && typeof p.value === 'number');
  return rt ? (rt.value as number) : e.timeout_seconds;
}
