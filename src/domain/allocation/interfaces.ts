/**
 * The `interfaces` allocation constraint (maas-api-spec.md §9.1): a labeled constraint map
 * `label:key=value[,key=value…][;label2:…]`. Within a label every key must hold for the same
 * interface (a key repeated means "any of these values"); a machine matches when every label finds at
 * least one interface. The answer reports, per label, every interface of the machine that matched.
 *
 * Addressing keys (`subnet`, `subnet_cidr`, `space`) need subnets and spaces, which Plinth's network
 * model does not hold yet: they are refused with MAAS's "No matching … found." rather than ignored.
 * No interface carries an IP address yet either, so `ip` matches nothing and `mode=unconfigured`
 * matches every interface.
 */
import { invalid } from '../errors.ts';
import { tryParseIp, normalizeIp } from '../network/ip.ts';
import { fabricMatches, vlanMatches, type VlanFacts } from './specifiers.ts';

export type InterfaceKey =
  | 'id' | 'fabric' | 'fabric_class' | 'ip' | 'mode' | 'name' | 'hostname' | 'subnet' | 'space' | 'subnet_cidr'
  | 'type' | 'vlan' | 'vid' | 'tag' | 'link_speed';

const POSITIVE = ['id', 'fabric', 'fabric_class', 'ip', 'mode', 'name', 'hostname', 'subnet', 'space', 'subnet_cidr', 'type', 'vlan', 'vid', 'tag', 'link_speed'];
const NEGATABLE = ['id', 'fabric', 'fabric_class', 'ip', 'name', 'hostname', 'subnet', 'space', 'subnet_cidr', 'vlan', 'vid', 'tag'];
export const INTERFACE_KEYS = new Set([...POSITIVE, ...NEGATABLE.map((k) => `not_${k}`)]);

/** label → key → values, labels in the order given. */
export type InterfaceConstraints = Array<{ label: string; keys: Map<string, string[]> }>;

export interface InterfaceFacts {
  id: number; name: string; type: string; tags: string[]; linkSpeed: number;
  vlan: VlanFacts | null;
  /** The machine's hostname (the `hostname` key). */
  hostname: string;
  /** IP addresses linked to the interface (none until the network model assigns them). */
  addresses: string[];
}

const bad = (msg: string) => invalid({ interfaces: [msg] });
const isInt = (v: string) => /^\d+$/.test(v);

export function parseInterfaces(value: string): InterfaceConstraints {
  if (value.trim() === '') return [];
  const out: InterfaceConstraints = [];
  for (const part of value.split(';')) {
    const colon = part.indexOf(':');
    if (colon <= 0) throw bad(`Malformed interfaces constraint "${part}": expected label:key=value[,key=value...].`);
    const label = part.slice(0, colon).trim();
    if (out.some((c) => c.label === label)) throw bad(`Duplicate label: '${label}'.`);
    const keys = new Map<string, string[]>();
    for (const pair of part.slice(colon + 1).split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw bad(`Malformed interfaces constraint "${pair}" in label '${label}': expected key=value.`);
      const key = pair.slice(0, eq).trim();
      const v = pair.slice(eq + 1).trim();
      if (!INTERFACE_KEYS.has(key)) throw bad(`Unknown interfaces constraint: '${key}'.`);
      checkValue(key, v);
      keys.set(key, [...(keys.get(key) ?? []), v]);
    }
    out.push({ label, keys });
  }
  return out;
}

function checkValue(key: string, v: string) {
  const base = key.replace(/^not_/, '');
  if ((base === 'id' || base === 'vid') && !isInt(v)) throw bad(`Invalid ${key} '${v}': a whole number is required.`);
  if (base === 'link_speed' && !/^\d+(\.\d+)?$/.test(v)) throw bad(`Invalid link_speed '${v}': a number is required.`);
  if (base === 'ip' && !tryParseIp(v)) throw bad(`Invalid IP address: '${v}'.`);
  if (key === 'mode' && v !== 'unconfigured') throw bad(`Invalid mode '${v}': the only supported mode is "unconfigured".`);
  if (base === 'subnet' || base === 'subnet_cidr') throw bad('No matching subnets found.');
  if (base === 'space') throw bad('No matching spaces found.');
}

function keyHolds(key: string, values: string[], i: InterfaceFacts): boolean {
  const negated = key.startsWith('not_');
  const base = negated ? key.slice(4) : key;
  let any: (v: string) => boolean;
  switch (base) {
    case 'id': any = (v) => i.id === Number(v); break;
    case 'name': any = (v) => i.name === v; break;
    case 'type': any = (v) => i.type === v; break;
    case 'hostname': any = (v) => i.hostname === v; break;
    case 'fabric': any = (v) => !!i.vlan && fabricMatches(v, i.vlan.fabric); break;
    case 'fabric_class': any = (v) => !!i.vlan && i.vlan.fabric.classType === v; break;
    case 'vlan': any = (v) => !!i.vlan && vlanMatches(v, i.vlan); break;
    case 'vid': any = (v) => !!i.vlan && i.vlan.vid === Number(v); break;
    case 'ip': any = (v) => i.addresses.includes(normalizeIp(v)); break;
    case 'mode': any = () => i.addresses.length === 0; break;
    case 'link_speed': return i.linkSpeed >= Math.min(...values.map(Number));
    // Tags: the interface must carry all (or, negated, none) of them.
    case 'tag': return negated ? values.every((v) => !i.tags.includes(v)) : values.every((v) => i.tags.includes(v));
    default: return false; // subnet/space keys never reach here (refused while parsing)
  }
  const hit = values.some(any);
  return negated ? !hit : hit;
}

/** One machine's interfaces against the map: label → matching interface ids, or null if a label finds none. */
export function matchInterfaces(constraints: InterfaceConstraints, ifaces: InterfaceFacts[]): Record<string, number[]> | null {
  const out: Record<string, number[]> = {};
  for (const { label, keys } of constraints) {
    const ids = ifaces.filter((i) => [...keys].every(([k, vs]) => keyHolds(k, vs, i))).map((i) => i.id);
    if (!ids.length) return null;
    out[label] = ids;
  }
  return out;
}
