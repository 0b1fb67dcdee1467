/**
 * Scripts as the API sees them, built-in or stored: MAAS's numbered enums with their names, the
 * spellings MAAS accepts for each, and timeouts (seconds, or Django's duration forms such as `5:00`,
 * `00:05:00`, `1 day, 2:00:00`).
 */
export const SCRIPT_TYPE = { COMMISSIONING: 0, TESTING: 2, /** Plinth's built-in release (erase) scripts. */ RELEASE: 3 } as const;
export const TYPE_NAMES: Record<number, string> = { 0: 'Commissioning script', 2: 'Testing script', 3: 'Release script' };
export const HARDWARE_NAMES = ['Node', 'CPU', 'Memory', 'Storage', 'Network', 'GPU'];
export const PARALLEL_NAMES = ['Disabled', 'Run along other instances of this script', 'Run along any other script.'];

export interface ScriptVersionView { id: number; comment: string; created: Date; content: string }

/** One script, built-in (`default`) or stored, with its history newest first (the first is what runs). */
export interface ScriptView {
  id: number; name: string; title: string; description: string; tags: string[];
  script_type: number; hardware_type: number; parallel: number; timeout: number;
  destructive: boolean; default: boolean; for_hardware: string[]; may_reboot: boolean; recommission: boolean;
  apply_configured_networking: boolean; parameters: Record<string, unknown>; packages: Record<string, unknown>;
  results: Record<string, unknown> | unknown[]; history: ScriptVersionView[];
}

/** A value the caller sent that MAAS would refuse; `message` is MAAS's text for that field. */
export class FieldProblem extends Error {}

const digits = (v: unknown) => typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v.trim()));

export function translateScriptType(v: unknown): number {
  if (digits(v)) {
    const n = Number(v);
    if (n === 0 || n === 2) return n;
    throw new FieldProblem('Invalid script type numeric value.');
  }
  const s = String(v).trim().toLowerCase();
  if (s === 'test' || s === 'testing') return SCRIPT_TYPE.TESTING;
  if (s === 'commission' || s === 'commissioning') return SCRIPT_TYPE.COMMISSIONING;
  throw new FieldProblem('Script type must be testing or commissioning');
}

const HARDWARE_WORDS: Array<[number, string[]]> = [
  [0, ['node', 'machine', 'controller', 'other', 'generic']], [1, ['cpu', 'processor']], [2, ['memory', 'ram']],
  [3, ['storage', 'disk', 'ssd']], [4, ['network', 'net', 'interface']], [5, ['gpu', 'graphics']],
];

export function translateHardwareType(v: unknown): number {
  if (digits(v)) {
    const n = Number(v);
    if (n >= 0 && n < HARDWARE_NAMES.length) return n;
    throw new FieldProblem('Invalid hardware type numeric value.');
  }
  const s = String(v).trim().toLowerCase();
  const hit = HARDWARE_WORDS.find(([, words]) => words.includes(s));
  if (!hit) throw new FieldProblem('Hardware type must be node, cpu, memory, storage, or gpu');
  return hit[0];
}

export function translateParallel(v: unknown): number {
  if (digits(v)) {
    const n = Number(v);
    if (n >= 0 && n <= 2) return n;
    throw new FieldProblem('Invalid script parallel numeric value.');
  }
  const s = String(v).trim().toLowerCase();
  if (s === 'disabled' || s === 'none') return 0;
  if (s === 'instance' || s === 'name') return 1;
  if (s === 'any' || s === 'enabled') return 2;
  throw new FieldProblem('Script parallel must be disabled, instance, or any.');
}

const MAX_TIMEOUT = 366 * 86_400;

/** Seconds from `300`, `5:00`, `0:05:00`, `2 days, 1:00:00` (fractions of a second are dropped). */
export function parseDuration(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TIMEOUT) return v;
  const m = /^(?:(\d{1,3}) (?:days?,? )?)?(?:(\d{1,4}):)??(?:(\d{1,4}):)?(\d{1,7})(?:[.,]\d{1,6})?$/.exec(String(v).trim());
  if (typeof v === 'number' || !m) throw new FieldProblem('Enter a valid duration.');
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => Number(x ?? 0));
  const total = d * 86_400 + h * 3600 + min * 60 + s;
  if (total > MAX_TIMEOUT) throw new FieldProblem('Enter a valid duration.');
  return total;
}

/** MAAS's `H:MM:SS` (a Python timedelta; whole days are written `N day(s), H:MM:SS`). */
export function formatDuration(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const rest = seconds % 86_400;
  const hms = `${Math.floor(rest / 3600)}:${String(Math.floor((rest % 3600) / 60)).padStart(2, '0')}:${String(rest % 60).padStart(2, '0')}`;
  return days ? `${days} day${days === 1 ? '' : 's'}, ${hms}` : hms;
}

/** MAAS keeps a `destructive` tag on destructive scripts and a tag naming the hardware type. */
export function autoTags(tags: string[], destructive: boolean, hardwareType: number): string[] {
  const hardware = HARDWARE_NAMES.map((n) => n.toLowerCase());
  const out = tags.filter((t) => t !== 'destructive' && !(hardware.includes(t) && t !== hardware[hardwareType]));
  if (destructive) out.push('destructive');
  if (!out.includes(hardware[hardwareType])) out.push(hardware[hardwareType]);
  return [...new Set(out)];
}

/** Script names: what the agent and the tar layout take (no '/', blanks or quotes), never a number or "none". */
export const NAME = /^[\w.+-]{1,255}$/;

/** Built-in scripts live in the code: the API cannot change them. */
export const DEFAULT_READ_ONLY = "Not allowed to change on default scripts (Plinth's built-in scripts are read-only).";
