/**
 * This host's network interfaces as `hello` (and `interfaces.report`) reports them: physical (or
 * virtual) interfaces with a MAC, their non-link-local addresses with prefix, and for `name.vid`
 * interfaces the VLAN id and parent. `interfacesKey` is the order-insensitive text the link compares
 * to tell whether they changed.
 */
import { networkInterfaces } from 'node:os';
import type { RackInterface } from './protocol.ts';

export function localInterfaces(): RackInterface[] {
  const out: RackInterface[] = [];
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    if (!infos?.length || infos[0].internal) continue;
    const mac = infos[0].mac;
    if (!mac || mac === '00:00:00:00:00:00') continue;
    const addresses = infos.filter((i) => !i.address.startsWith('fe80:') && !i.address.startsWith('169.254.') && i.cidr).map((i) => i.cidr!);
    const m = /^(.+)\.(\d{1,4})$/.exec(name);
    const vid = m ? Number(m[2]) : undefined;
    out.push({ name, mac, addresses, ...(m && vid! >= 1 && vid! <= 4094 ? { vid, parent: m[1] } : {}) });
  }
  return out;
}

/** A stable text for a list of interfaces: equal when only the order of interfaces or addresses differs. */
export function interfacesKey(list: readonly RackInterface[]): string {
  const norm = list.map((i) => [i.name, i.mac.toLowerCase(), [...(i.addresses ?? [])].sort(), i.vid ?? null, i.parent ?? null] as const);
  return JSON.stringify(norm.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
