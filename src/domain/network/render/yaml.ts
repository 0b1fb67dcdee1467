/**
 * A tiny deterministic YAML 1.2 block emitter for configuration documents (netplan, cloud-init):
 * mappings keep insertion order, `undefined` values are dropped, strings are written plain only
 * when no YAML 1.1 or 1.2 reader could take them for anything but a string, otherwise as
 * double-quoted JSON strings (a JSON string is a valid YAML double-quoted scalar). Strings with a
 * colon are always quoted, so MAC addresses are never read as sexagesimal numbers by YAML 1.1.
 */

export type YamlValue = string | number | boolean | null | undefined | readonly YamlValue[] | { readonly [key: string]: YamlValue };

const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_./+-]*$/;
const RESERVED = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;
const NUMERIC = /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?(?:e[-+]?[0-9]+)?|\.[0-9]+|0x[0-9a-f_]+|0o?[0-7_]+|0b[01_]+|\.inf|\.nan)$/i;

export function yamlString(s: string): string {
  if (s !== '' && PLAIN.test(s) && !RESERVED.test(s) && !NUMERIC.test(s)) return s;
  return JSON.stringify(s);
}

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`YAML: cannot write the number ${v}.`);
    return String(v);
  }
  return yamlString(v);
}

const isMapping = (v: YamlValue): v is { readonly [key: string]: YamlValue } => typeof v === 'object' && v !== null && !Array.isArray(v);

function lines(value: YamlValue, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    const out: string[] = [];
    for (const item of value as readonly YamlValue[]) {
      if (item === undefined) continue;
      if (isEmptyOrScalar(item)) {
        out.push(`${pad}- ${inline(item)}`);
      } else {
        const inner = lines(item, indent + 2);
        out.push(`${pad}- ${inner[0].slice(indent + 2)}`, ...inner.slice(1));
      }
    }
    return out;
  }
  if (isMapping(value)) {
    const out: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      if (isEmptyOrScalar(v)) out.push(`${pad}${yamlString(k)}: ${inline(v)}`);
      else out.push(`${pad}${yamlString(k)}:`, ...lines(v, indent + 2));
    }
    return out;
  }
  return [`${pad}${inline(value)}`];
}

function isEmptyOrScalar(v: YamlValue): boolean {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).length === 0;
  if (isMapping(v)) return Object.values(v).every((x) => x === undefined);
  return true;
}

function inline(v: YamlValue): string {
  if (Array.isArray(v)) return '[]';
  if (isMapping(v)) return '{}';
  return scalar(v as string | number | boolean | null);
}

/** The document as YAML text, ending with a newline. */
export function toYaml(value: YamlValue): string {
  return `${lines(value, 0).join('\n')}\n`;
}
