/**
 * The rack's boot-configuration backend when a region decides: pre-loaders (`ipxe.cfg`,
 * `grub/grub.cfg`) are rendered on the rack for the address the machine reached; everything that
 * names a machine (by MAC) or asks for a default asks the region (`decide`) and renders the answer
 * for the loader that asked. The same backend serves HTTP (port 5248) and, through `tftpBackend`,
 * TFTP, where the bootloader binaries are served as well.
 */
import { createReadStream, openSync, constants } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  parseBootPath, renderBootConfig, renderPreloader, type BootDecision, type BootFileRequest, type Firmware,
} from '../../../domain/boot/index.ts';
import type { BootConfigRequest, HttpBootBackend } from '../http/types.ts';
import { DEFAULT_BOOTLOADERS } from '../http/types.ts';
import { normalizeRequestPath, type Remote, type Resolved, type TftpBackend } from '../tftp/backend.ts';

/** What the rack asks the region (the `boot.decide` call of the region link). */
export interface BootQuery {
  mac?: string;
  arch?: string;
  subarch?: string;
  firmware: Firmware;
  /** The rack address the machine reached: its images and metadata URLs point there. */
  rackHost: string;
  httpPort: number;
}

export type Decide = (query: BootQuery) => Promise<BootDecision>;

export interface RackBootOptions {
  decide: Decide;
  /** Port of the rack's HTTP boot server, named in every URL a loader is given (default 5248). */
  httpPort?: number;
  /** Bootloader binaries by name (TFTP); default Debian's iPXE builds. */
  bootloaders?: Record<string, string>;
}

/** GRUB and UEFI-only paths imply UEFI firmware; iPXE tells us with ?platform=; PXELINUX is BIOS. */
function firmwareOf(file: BootFileRequest, hinted?: Firmware): Firmware {
  if (hinted) return hinted;
  return file.loader === 'grub' ? 'uefi' : 'bios';
}

async function render(opts: RackBootOptions, file: BootFileRequest, rackHost: string, firmware?: Firmware): Promise<string | null> {
  const httpPort = opts.httpPort ?? 5248;
  if (file.kind === 'preloader') return renderPreloader(file.loader, { host: rackHost, port: httpPort });
  if (file.kind === 'uuid') return null; // PXELINUX asks by MAC next
  const query: BootQuery = { firmware: firmwareOf(file, firmware), rackHost, httpPort };
  if (file.kind === 'mac') query.mac = file.mac;
  if (file.kind === 'default') {
    if (file.arch) query.arch = file.arch;
    if (file.subarch) query.subarch = file.subarch;
  }
  return renderBootConfig(file.loader, await opts.decide(query));
}

export function httpBootBackend(opts: RackBootOptions): HttpBootBackend {
  return {
    bootConfig: (req: BootConfigRequest) => render(opts, req.file, req.localIp, req.firmware),
  };
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * TFTP: boot configurations as above, bootloader binaries by name. `rackHostFor` names the rack's
 * address on the client's subnet (a wildcard UDP socket does not tell which address was asked).
 */
export function tftpBootBackend(opts: RackBootOptions & { rackHostFor: (remote: Remote) => string | null }): TftpBackend {
  const loaders = opts.bootloaders ?? DEFAULT_BOOTLOADERS;
  return {
    async resolve(path: string, remote: Remote): Promise<Resolved | null> {
      const relative = normalizeRequestPath(path);
      if (relative === null) return null;
      if (Object.hasOwn(loaders, relative)) {
        const file = loaders[relative];
        const info = await stat(file).catch(() => null);
        if (!info?.isFile()) return null;
        return { size: info.size, open: () => createReadStream(file, { fd: openSync(file, OPEN_FLAGS) }) };
      }
      const request = parseBootPath(relative);
      const host = opts.rackHostFor(remote);
      if (!request || !host) return null;
      const text = await render(opts, request, host);
      return text === null ? null : { data: Buffer.from(text) };
    },
  };
}
