/**
 * Allocation constraints (maas-api-spec.md §9.1): what a client may ask for, cleaned the way MAAS's
 * allocation form cleans it, and described the way MAAS describes it when nothing matches.
 * Everything that needs the database (do these tags/zones/pools exist?) is checked by the service.
 */
import { invalid } from '../errors.ts';
import { ARCHES, normalizeArchitecture } from '../machine/architecture.ts';
import { parseInterfaces, type InterfaceConstraints } from './interfaces.ts';
import { FABRIC_SPEC_KINDS, specKind, VLAN_SPEC_KINDS } from './specifiers.ts';
import { parseStorage, type StorageConstraint } from './storage.ts';

/** The request as the edge validated it (lists for repeatable parameters). */
export interface AllocationRequest {
  name?: string[]; system_id?: string[]; arch?: string[]; cpu_count?: number; mem?: number;
  tags?: string[]; not_tags?: string[]; zone?: string[]; not_in_zone?: string[]; pool?: string[]; not_in_pool?: string[];
  fabrics?: string[]; not_fabrics?: string[]; fabric_classes?: string[]; not_fabric_classes?: string[];
  vlans?: string[]; not_vlans?: string[]; subnets?: string[]; not_subnets?: string[]; link_speed?: number;
  storage?: string; interfaces?: string; devices?: string;
  pod?: string[]; not_pod?: string[]; pod_type?: string[]; not_pod_type?: string[];
}

/** An architecture requirement: exact `arch/subarch`, or every subarchitecture of `arch`. */
export type ArchMatch = { exact: string } | { prefix: string };

export interface AllocationConstraints {
  request: AllocationRequest;
  arches: ArchMatch[];
  tags: string[];
  notTags: string[];
  storage: StorageConstraint[];
  interfaces: InterfaceConstraints;
}

const DEVICE_KEYS = ['vendor_id', 'product_id', 'vendor_name', 'product_name', 'commissioning_driver'];

/** Tags may come repeated or as legacy comma/space-separated lists. */
export const legacyTags = (values: string[] = []) => [...new Set(values.flatMap((v) => v.match(/[^\s,]+/g) ?? []))];

function resolveArch(value: string): ArchMatch | null {
  const v = value === 'arm' ? 'armhf' : value;
  if (v.includes('/')) {
    const n = normalizeArchitecture(v);
    return n === v ? { exact: v } : null;
  }
  return (ARCHES as readonly string[]).includes(v) ? { prefix: v } : null;
}

/** Cleans the request: parse errors and malformed values → 400 with MAAS's per-field messages. */
export function cleanConstraints(r: AllocationRequest): AllocationConstraints {
  const errors: Record<string, string[]> = {};
  const arches: ArchMatch[] = [];
  for (const a of r.arch ?? []) {
    const m = resolveArch(a);
    if (m) arches.push(m); else errors.arch = ['Architecture not recognised.'];
  }
  const specs = (field: 'fabrics' | 'not_fabrics' | 'vlans' | 'not_vlans', kinds: string[], what: string) => {
    for (const s of r[field] ?? []) if (!kinds.includes(specKind(s))) errors[field] = [`Invalid parameter: list of ${what} specifiers required.`];
  };
  specs('fabrics', FABRIC_SPEC_KINDS, 'fabric');
  specs('not_fabrics', FABRIC_SPEC_KINDS, 'fabric');
  specs('vlans', VLAN_SPEC_KINDS, 'VLAN');
  specs('not_vlans', VLAN_SPEC_KINDS, 'VLAN');
  // Plinth's network model has no subnets yet, so no subnet specifier can name one.
  for (const f of ['subnets', 'not_subnets'] as const) if (r[f]?.length) errors[f] = ['No matching subnets found.'];
  if (r.devices) {
    for (const part of r.devices.split(',')) {
      const key = part.split('=', 1)[0];
      if (!DEVICE_KEYS.includes(key) || !part.includes('=')) errors.devices = [`Unknown devices constraint: '${key}'.`];
    }
  }
  let storage: StorageConstraint[] = [];
  let interfaces: InterfaceConstraints = [];
  const collect = (fn: () => void) => {
    try { fn(); } catch (err) {
      const fields = (err as { fields?: Record<string, string[]> }).fields;
      if (!fields) throw err;
      Object.assign(errors, fields);
    }
  };
  collect(() => { storage = parseStorage(r.storage ?? ''); });
  collect(() => { interfaces = parseInterfaces(r.interfaces ?? ''); });
  if (Object.keys(errors).length) throw invalid(errors);
  return { request: r, arches, tags: legacyTags(r.tags), notTags: legacyTags(r.not_tags), storage, interfaces };
}

/** Python's `'%s' % float`: whole numbers keep a `.0`. */
const pyFloat = (n: number) => (Number.isInteger(n) && Math.abs(n) < 1e16 ? `${n}.0` : String(n));

/**
 * MAAS's `describe_constraints`: `field=value` for every constraint set, fields in alphabetical order,
 * multi-valued ones comma-joined. Options (agent_name, comment, dry_run, …) are not constraints.
 */
export function describeConstraints(c: AllocationConstraints): string {
  const r = c.request;
  const fields: Record<string, string | undefined> = {
    arch: c.arches.length ? c.arches.map((a) => ('exact' in a ? a.exact : `${a.prefix}/*`)).join(',') : undefined,
    cpu_count: r.cpu_count !== undefined ? pyFloat(r.cpu_count) : undefined,
    mem: r.mem !== undefined ? pyFloat(r.mem) : undefined,
    link_speed: r.link_speed !== undefined ? pyFloat(r.link_speed) : undefined,
    tags: c.tags.length ? [...c.tags].sort().join(',') : undefined,
    not_tags: c.notTags.length ? c.notTags.join(',') : undefined,
    storage: r.storage || undefined,
    interfaces: r.interfaces || undefined,
    devices: r.devices || undefined,
  };
  for (const k of ['name', 'system_id', 'zone', 'not_in_zone', 'pool', 'not_in_pool', 'fabrics', 'not_fabrics', 'fabric_classes',
    'not_fabric_classes', 'vlans', 'not_vlans', 'pod', 'not_pod', 'pod_type', 'not_pod_type'] as const) {
    const v = r[k];
    if (v?.length) fields[k] = v.join(',');
  }
  return Object.keys(fields).sort().filter((k) => fields[k] !== undefined).map((k) => `${k}=${fields[k]}`).join(' ');
}

/** Python's repr() of a str, as MAAS prints the raw request in its 409 text. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** The request's parameters as MAAS lists them: `[('name', ['a']), ('zone', ['b'])]`. */
export const describeInput = (params: Array<[string, string[]]>) =>
  `[${params.map(([k, vs]) => `(${pyRepr(k)}, [${vs.map(pyRepr).join(', ')}])`).join(', ')}]`;

/** MAAS's 409 text for an allocation nothing satisfies. */
export function noMatchMessage(c: AllocationConstraints, params: Array<[string, string[]]>): string {
  const sid = c.request.system_id?.[0];
  if (sid !== undefined) return `No machine with system ID ${sid} available.`;
  const resolved = describeConstraints(c);
  if (resolved === '') return 'No machine available.';
  return `No available machine matches constraints: ${describeInput(params)} (resolved to "${resolved}")`;
}

/** The ordering key: cheapest first (MAAS's `cpu_count + memory / 1024`). */
export const machineCost = (cpuCount: number, memoryMiB: number) => cpuCount + memoryMiB / 1024;
