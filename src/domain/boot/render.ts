/**
 * Renders a boot decision for the bootloader that asked: one template per purpose (purposes/*.ts),
 * one renderer per loader inside it. Decisions are validated first (validate.ts); a bad one throws
 * BootConfigError rather than producing a script that could run something else.
 */
import { grubPreloader } from './loaders/grub.ts';
import { ipxePreloader } from './loaders/ipxe.ts';
import { commissioning } from './purposes/commissioning.ts';
import { enlist } from './purposes/enlist.ts';
import { local } from './purposes/local.ts';
import { poweroff } from './purposes/poweroff.ts';
import { rescue } from './purposes/rescue.ts';
import { xinstall } from './purposes/xinstall.ts';
import { assertDecision, serverProblems } from './validate.ts';
import { BootConfigError, type BootDecision, type BootServer, type Loader } from './types.ts';

export function renderBootConfig(loader: Loader, d: BootDecision): string {
  assertDecision(d);
  switch (d.purpose) {
    case 'enlist': return enlist[loader](d);
    case 'commissioning': return commissioning[loader](d);
    case 'xinstall': return xinstall[loader](d);
    case 'rescue': return rescue[loader](d);
    case 'local': return local[loader](d);
    case 'poweroff': return poweroff[loader](d);
  }
}

/**
 * The pre-loader a loader fetches first (`ipxe.cfg`, `grub/grub.cfg`). PXELINUX has none: it walks
 * its own list of names (01-<mac>, UUID, hex IP, default).
 */
export function renderPreloader(loader: 'ipxe' | 'grub', server: BootServer): string {
  if (loader === 'grub') return grubPreloader();
  const problems = serverProblems('server', server);
  if (problems.length > 0) throw new BootConfigError(problems);
  return ipxePreloader(server);
}
