/**
 * A script's fields from what the API sent, the metadata embedded in the script's text, and (for an
 * update) the stored script: a value sent with the request wins over the embedded one, which wins over
 * the stored one, which wins over MAAS's default. As MAAS does, an update does not take tags or the
 * timeout from new embedded metadata (an operator's choices survive a new upstream version), and
 * parameters and results come from the embedded block of the newest text that has one.
 * Problems are collected per field and thrown together as MAAS's `{"field": ["message"]}` 400.
 */
import { invalid } from '../../domain/errors.ts';
import type { ScriptFields } from '../../store/repos/scripts.ts';
import { embeddedMetadata, unixText } from './embedded.ts';
import type { YamlValue } from './metadata-yaml.ts';
import { autoTags, FieldProblem, NAME, parseDuration, translateHardwareType, translateParallel, translateScriptType } from './model.ts';

/** What the request carried; undefined: not sent. */
export interface ScriptForm {
  name?: string; title?: string; description?: string; tags?: string; script_type?: string; hardware_type?: string;
  parallel?: string; timeout?: string; destructive?: boolean; script?: string; comment?: string; for_hardware?: string;
  may_reboot?: boolean; recommission?: boolean; apply_configured_networking?: boolean; packages?: string;
}

export interface ResolvedScript { fields: ScriptFields; content: string | null; comment: string }

const TRUE = ['true', '1', 'yes', 'on', 't', 'y'];
const FALSE = ['false', '0', 'no', 'off', 'f', 'n'];
const PARAMETER_TYPES = ['storage', 'interface', 'url', 'runtime', 'string', 'password', 'choice', 'boolean'];
const HARDWARE_ID = /^(modalias:.+|pci:[\da-f]{4}:[\da-f]{4}|usb:[\da-f]{4}:[\da-f]{4}|system_vendor:.*|system_product:.*|system_version:.*|mainboard_vendor:.*|mainboard_product:.*)$/i;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const fail = (msg: string): never => { throw new FieldProblem(msg); };

function parseName(v: unknown): string {
  const name = String(v);
  if (name === '') fail('This field is required.');
  if (name.toLowerCase() === 'none') fail('"none" is a reserved name.');
  if (/^\d+$/.test(name)) fail('Cannot be a number.');
  if (!NAME.test(name)) fail(`Name '${name}' contains disallowed characters, e.g. space or quotes (use letters, digits, '.', '_', '+' or '-').`);
  return name;
}

const text = (max: number) => (v: unknown): string => {
  const s = typeof v === 'string' ? v : String(v);
  if (s.length > max) fail(`Ensure this value has at most ${max} characters (it has ${s.length}).`);
  return s;
};

function parseTags(v: unknown): string[] {
  const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) && v.every((t) => typeof t === 'string') ? v as string[]
    : fail('Embedded tags must be a string of comma seperated values, or a list of strings.');
  const tags = list.map((t) => t.trim()).filter(Boolean);
  if (tags.some((t) => t.length > 255)) fail('A tag may have at most 255 characters.');
  return [...new Set(tags)];
}

function parseBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (TRUE.includes(s)) return true;
  if (FALSE.includes(s)) return false;
  return fail('Enter a valid boolean (true or false).');
}

const json = (v: unknown, what: string): unknown => {
  if (typeof v !== 'string') return v;
  try { return JSON.parse(v); } catch { return fail(`${what} must be JSON.`); }
};

function parsePackages(v: unknown): Record<string, unknown> {
  const p = json(v, 'Packages');
  if (!isObject(p)) fail('Packages must be a mapping of apt, snap and url lists.');
  const out: Record<string, unknown> = { ...(p as Record<string, unknown>) };
  for (const key of ['apt', 'snap', 'url']) if (key in out && !Array.isArray(out[key])) out[key] = [out[key]];
  for (const key of ['apt', 'url']) for (const x of (out[key] as unknown[] | undefined) ?? []) if (typeof x !== 'string') fail(`Each ${key} package must be a string.`);
  for (const x of (out.snap as unknown[] | undefined) ?? []) {
    if (isObject(x)) {
      if (typeof x.name !== 'string') fail('Snap package name must be defined.');
      if ('channel' in x && !['stable', 'edge', 'beta', 'candidate'].includes(String(x.channel))) fail('Snap channel must be stable, edge, beta, or candidate.');
      if ('mode' in x && !['classic', 'dev', 'jail'].includes(String(x.mode))) fail('Snap mode must be classic, dev, or jail.');
    } else if (typeof x !== 'string') fail('Snap package must be a string.');
  }
  return out;
}

function parseForHardware(v: unknown): string[] {
  let list: unknown = v;
  if (typeof v === 'string') {
    try { list = JSON.parse(v); } catch { list = v; }
    if (typeof list === 'string') list = list.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) return fail('Must be a list or string');
  for (const id of list as string[]) {
    if (!HARDWARE_ID.test(id)) {
      fail(`Hardware identifier '${id}' must be a modalias, PCI ID, USB ID, system vendor, system product, system version, mainboard vendor, or mainboard product.`);
    }
  }
  return list as string[];
}

function parseParameters(v: unknown): Record<string, unknown> {
  if (!isObject(v)) return fail('Parameters must be a mapping of parameter names to their descriptions.');
  for (const [name, p] of Object.entries(v)) {
    if (!isObject(p)) fail(`Parameter "${name}" must be a mapping.`);
    const t = (p as Record<string, unknown>).type;
    if (typeof t !== 'string' || !PARAMETER_TYPES.includes(t)) fail(`Parameter "${name}": type must be one of ${PARAMETER_TYPES.join(', ')}.`);
  }
  return v as Record<string, unknown>;
}

function parseResults(v: unknown): Record<string, unknown> {
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return Object.fromEntries(v.map((x) => [x, { title: x }]));
  if (!isObject(v)) return fail('results must be a list of strings or a dictionary of dictionaries.');
  for (const r of Object.values(v)) if (!isObject(r) || typeof r.title !== 'string') fail('title must be included in a result dictionary.');
  return v as Record<string, unknown>;
}

const DEFAULTS: ScriptFields = {
  name: '', title: '', description: '', script_type: 2, hardware_type: 0, parallel: 0, timeout: 0, destructive: false, may_reboot: false,
  tags: [], packages: {}, parameters: {}, results: {}, for_hardware: [], recommission: false, apply_configured_networking: false,
};

/** The fields to store (and the new text, when one was sent); throws a 400 naming each bad field. */
export function resolveScript(form: ScriptForm, existing: ScriptFields | null): ResolvedScript {
  const errors: Record<string, string[]> = {};
  const problem = (key: string, msg: string) => { (errors[key] ??= []).push(msg); };
  let content: string | null = null;
  let embedded: Record<string, YamlValue> = {};
  if (form.script !== undefined) {
    content = unixText(form.script);
    if (content.includes('\u0000')) problem('script', 'Null characters are not allowed.');
    else if (!content.startsWith('#!/')) problem('script', 'Must start with shebang.');
    try { embedded = embeddedMetadata(content); } catch (e) { if (!(e instanceof FieldProblem)) throw e; problem('script', e.message); }
  } else if (!existing) {
    problem('script', 'This field is required.');
  }
  if (form.comment !== undefined && form.script === undefined) problem('comment', '"comment" may only be used when specifying a "script" as well.');

  const base = existing ?? DEFAULTS;
  const fromYaml = (key: string): unknown => {
    const v = key === 'script_type' ? embedded.script_type ?? embedded.type : embedded[key];
    return v === null ? undefined : v;
  };
  const pick = <K extends keyof ScriptFields>(key: K, sent: unknown, parse: (v: unknown) => ScriptFields[K], yaml = true): ScriptFields[K] => {
    const raw = sent !== undefined ? sent : yaml ? fromYaml(key) : undefined;
    if (raw === undefined) return base[key];
    try { return parse(raw); } catch (e) {
      if (!(e instanceof FieldProblem)) throw e;
      problem(key, e.message);
      return base[key];
    }
  };
  const creating = existing === null;
  const hasBlock = Object.keys(embedded).length > 0;
  const fields: ScriptFields = {
    name: pick('name', form.name, parseName),
    title: pick('title', form.title, text(255)),
    description: pick('description', form.description, text(65_536)),
    tags: pick('tags', form.tags, parseTags, creating),
    script_type: pick('script_type', form.script_type, translateScriptType),
    hardware_type: pick('hardware_type', form.hardware_type, translateHardwareType),
    parallel: pick('parallel', form.parallel, translateParallel),
    timeout: pick('timeout', form.timeout, parseDuration, creating),
    destructive: pick('destructive', form.destructive, parseBool),
    may_reboot: pick('may_reboot', form.may_reboot, parseBool),
    recommission: pick('recommission', form.recommission, parseBool),
    apply_configured_networking: pick('apply_configured_networking', form.apply_configured_networking, parseBool),
    packages: pick('packages', form.packages, parsePackages),
    for_hardware: pick('for_hardware', form.for_hardware, parseForHardware),
    parameters: hasBlock ? pick('parameters', undefined, parseParameters) : base.parameters,
    results: hasBlock ? pick('results', undefined, parseResults) : base.results,
  };
  if (hasBlock && fromYaml('parameters') === undefined) fields.parameters = {};
  if (hasBlock && fromYaml('results') === undefined) fields.results = {};
  if (!fields.name && !errors.name) problem('name', 'This field is required.');
  if (Object.keys(errors).length) throw invalid(errors);
  fields.tags = autoTags(fields.tags, fields.destructive, fields.hardware_type);
  return { fields, content, comment: form.comment ?? '' };
}
