/** Small pieces shared by the per-loader renderers. */
import type { BootDecision } from '../types.ts';

/** "node-1.maas (amd64/generic, uefi)" — for the messages a bootloader prints on the console. */
export function machineLabel(d: BootDecision): string {
  const name = d.hostname ? (d.domain ? `${d.hostname}.${d.domain}` : d.hostname) : 'this machine';
  return `${name} (${d.arch}/${d.subarch}, ${d.firmware})`;
}

export const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
