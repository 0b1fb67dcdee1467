/** Client output: pretty JSON, or a table for lists of objects (a few columns chosen by the data). */
const PREFERRED = ['system_id', 'hostname', 'name', 'status_name', 'power_state', 'owner', 'architecture', 'cpu_count', 'memory', 'zone', 'pool', 'id', 'description', 'username', 'type', 'created'];

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return 'name' in (v as object) ? String((v as { name: unknown }).name) : JSON.stringify(v);
  return String(v);
}

export function formatOutput(data: unknown, mode: 'json' | 'table'): string {
  if (mode === 'json') return JSON.stringify(data, null, 4);
  const rows = Array.isArray(data) ? data : data && typeof data === 'object' && Array.isArray((data as { events?: unknown }).events) ? (data as { events: unknown[] }).events : [data];
  const objs = rows.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object');
  if (!objs.length) return JSON.stringify(data, null, 4);
  const keys = PREFERRED.filter((k) => objs.some((o) => k in o)).slice(0, 8);
  const cols = keys.length ? keys : Object.keys(objs[0]).slice(0, 8);
  const table = [cols.map((c) => c.toUpperCase()), ...objs.map((o) => cols.map((c) => cell(o[c])))];
  const widths = cols.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}
