/**
 * This host's network interfaces as `hello` reports them: physical (or virtual) interfaces with a MAC,
 * their non-link-local addresses with prefix, and for `name.vid` interfaces the VLAN id and parent.
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
