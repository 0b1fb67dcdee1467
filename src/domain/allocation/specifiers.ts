/**
 * MAAS object specifiers as allocation constraints use them: a bare value or `kind:value`.
 * Fabrics: `<name>`, `<id>`, `id:`, `name:`, `class:`. VLANs: `<id>`, `id:`, `vid:`, `name:`,
 * `fabric:<fabric specifier>`, `space:` (Plinth has no spaces yet, so `space:` matches nothing).
 */
export interface FabricFacts { id: number; name: string; classType: string | null }
export interface VlanFacts { id: number; vid: number; name: string; fabric: FabricFacts }

function split(spec: string): [string, string] {
  const i = spec.indexOf(':');
  return i < 0 ? ['', spec] : [spec.slice(0, i), spec.slice(i + 1)];
}

const isInt = (v: string) => /^\d+$/.test(v);

export function fabricMatches(spec: string, f: FabricFacts): boolean {
  const [kind, v] = split(spec);
  switch (kind) {
    case '': return f.name === v || (isInt(v) && f.id === Number(v));
    case 'id': return isInt(v) && f.id === Number(v);
    case 'name': return f.name === v;
    case 'class': return f.classType === v;
    default: return false;
  }
}

export function vlanMatches(spec: string, vl: VlanFacts): boolean {
  const [kind, v] = split(spec);
  switch (kind) {
    case '': return isInt(v) ? vl.id === Number(v) : vl.name === v;
    case 'id': return isInt(v) && vl.id === Number(v);
    case 'vid': return isInt(v) && vl.vid === Number(v);
    case 'name': return vl.name === v;
    case 'fabric': return fabricMatches(v, vl.fabric);
    default: return false;
  }
}

/** Specifier kinds we understand; anything else is a client error rather than a silent non-match. */
export const FABRIC_SPEC_KINDS = ['', 'id', 'name', 'class'];
export const VLAN_SPEC_KINDS = ['', 'id', 'vid', 'name', 'fabric', 'space'];
export const specKind = (spec: string) => split(spec)[0];
