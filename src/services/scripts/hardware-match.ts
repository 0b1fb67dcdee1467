/**
 * `for_hardware`: the machines a script is for. A script runs on a machine that has any one of the
 * hardware its list names (MAAS's rules):
 *   modalias:<glob>    a device modalias of the machine matches the glob (fnmatch: `*`, `?`, `[...]`)
 *   pci:VVVV:PPPP      a PCI device with that vendor and device id (`pci:v0000VVVVd0000PPPPsv*sd*bc*sc*i*`)
 *   usb:VVVV:PPPP      a USB device with that vendor and product id (`usb:vVVVVpPPPPd*dc*dsc*dp*ic*isc*ip*`)
 *   system_vendor:<text>, system_product:, system_version:, mainboard_vendor:, mainboard_product:
 *                      commissioning read exactly that DMI value (case and all)
 * Pure: the machine's identifiers come in (see hardware-facts.ts).
 */

/** What commissioning learnt that `for_hardware` can name: modaliases and `key:value` DMI pairs. */
export interface HardwareIds { modaliases: string[]; pairs: string[] }

/** A glob as Python's fnmatch reads it, as an anchored, case-sensitive expression. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) { out += '\\['; continue; }
      let set = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      else if (set.startsWith('^')) set = `\\${set}`;
      out += `[${set}]`;
      i = j;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${out}$`, 's');
}

/** The modalias globs a `for_hardware` list stands for (entries that are no modalias, PCI or USB id give none). */
export function modaliasGlobs(forHardware: string[]): string[] {
  const globs: string[] = [];
  for (const id of forHardware) {
    const colon = id.indexOf(':');
    const kind = id.slice(0, colon).toLowerCase();
    const rest = id.slice(colon + 1);
    if (kind === 'modalias') globs.push(rest);
    const ids = /^([\da-f]{4}):([\da-f]{4})$/i.exec(rest);
    if (!ids) continue;
    const [vendor, product] = [ids[1].toUpperCase(), ids[2].toUpperCase()];
    if (kind === 'pci') globs.push(`pci:v0000${vendor}d0000${product}sv*sd*bc*sc*i*`);
    if (kind === 'usb') globs.push(`usb:v${vendor}p${product}d*dc*dsc*dp*ic*isc*ip*`);
  }
  return globs;
}

/** The machine's modaliases a `for_hardware` list matches. */
export function matchingModaliases(forHardware: string[], modaliases: string[]): string[] {
  const patterns = modaliasGlobs(forHardware).map(globToRegExp);
  return modaliases.filter((m) => patterns.some((p) => p.test(m)));
}

/** Whether the machine has hardware the list names (an empty list names every machine). */
export function matchesHardware(forHardware: string[], hw: HardwareIds): boolean {
  if (!forHardware.length) return true;
  const pairs = new Set(hw.pairs);
  return forHardware.some((id) => pairs.has(id)) || matchingModaliases(forHardware, hw.modaliases).length > 0;
}
