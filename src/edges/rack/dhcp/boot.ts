/**
 * Boot-file selection for network-boot clients.
 *
 * - iPXE (user class "iPXE", option 77) gets the iPXE script URL, whatever firmware it runs in, and
 *   option 175.176 = 1 so that it does not wait for ProxyDHCP offers: this server answers everything.
 * - UEFI HTTP boot (vendor class "HTTPClient…", RFC 4578 arch e.g. 16) gets an http:// URL and the
 *   reply echoes option 60 "HTTPClient" (firmware ignores offers without it).
 * - PXE ROMs (vendor class "PXEClient…") get a TFTP file name for their architecture (option 93,
 *   absent = 0 BIOS): by default iPXE itself, chain-loaded — `undionly.kpxe` for BIOS, `ipxe.efi`
 *   for x86-64 UEFI (7, and 9 which old firmware sends for x64).
 * - Anything else gets no boot information.
 *
 * `files` in the config replaces the defaults per architecture; an entry's `file` is either a TFTP
 * path or an http(s):// URL. Only URLs are given to HTTP clients and only TFTP paths to PXE ones.
 */
import { IpxeOpt } from './codes.ts';
import { Arch, type BootClientKind } from './options-pxe.ts';

export interface BootFileConfig {
  /** RFC 4578 §2.1 architecture type (option 93). */
  arch: number;
  /** TFTP file name, or http:// URL for HTTP boot architectures. */
  file: string;
  /** Option 210 (RFC 5071), for loaders such as PXELINUX that need it. */
  pathPrefix?: string;
}

export interface BootConfig {
  /** Default true. When false, no client gets boot information on this subnet. */
  enabled?: boolean;
  files?: BootFileConfig[];
  /** Default `http://<nextServer>:5248/ipxe.cfg`. */
  ipxeScriptUrl?: string;
}

export interface CompiledBoot {
  enabled: boolean;
  files: Map<number, BootFileConfig>;
  ipxeScriptUrl: string;
}

export interface BootAnswer {
  /** Boot file name or URL: the `file` field and/or option 67. */
  file: string;
  /** Option 60 to echo ("HTTPClient" for HTTP boot). */
  vendorClass?: string;
  pathPrefix?: string;
  /** Option 175 to send (iPXE's encapsulated options). */
  ipxeOptions?: Buffer;
}

/** 175 { 176 (no-pxedhcp), length 1, value 1 }. */
const IPXE_NO_PXEDHCP = Buffer.from([IpxeOpt.NO_PXEDHCP, 1, 1]);

const isUrl = (file: string): boolean => /^https?:\/\//.test(file);

export function defaultBootFiles(nextServer: string): BootFileConfig[] {
  return [
    { arch: Arch.BIOS, file: 'undionly.kpxe' },
    { arch: Arch.EFI_X64, file: 'ipxe.efi' },
    { arch: Arch.EFI_BC, file: 'ipxe.efi' },
    { arch: Arch.EFI_X64_HTTP, file: `http://${nextServer}:5248/ipxe.efi` },
  ];
}

export function compileBoot(cfg: BootConfig | undefined, nextServer: string): CompiledBoot {
  const files = new Map<number, BootFileConfig>();
  for (const entry of [...defaultBootFiles(nextServer), ...(cfg?.files ?? [])]) {
    if (!Number.isInteger(entry.arch) || entry.arch < 0 || entry.arch > 0xffff) throw new Error(`architecture ${entry.arch} is not a 16-bit number`);
    if (typeof entry.file !== 'string' || entry.file.length === 0 || entry.file.length > 255) throw new Error(`boot file for architecture ${entry.arch} must be 1-255 characters`);
    files.set(entry.arch, entry);
  }
  const ipxeScriptUrl = cfg?.ipxeScriptUrl ?? `http://${nextServer}:5248/ipxe.cfg`;
  if (!isUrl(ipxeScriptUrl)) throw new Error('ipxeScriptUrl must be an http(s):// URL');
  return { enabled: cfg?.enabled ?? true, files, ipxeScriptUrl };
}

export interface BootRequest {
  bootKind: BootClientKind;
  architectures: readonly number[];
}

export function selectBoot(boot: CompiledBoot, req: BootRequest): BootAnswer | undefined {
  if (!boot.enabled || req.bootKind === 'none') return undefined;
  if (req.bootKind === 'ipxe') return { file: boot.ipxeScriptUrl, ipxeOptions: IPXE_NO_PXEDHCP };
  const wantUrl = req.bootKind === 'http';
  const arches = req.architectures.length > 0 ? req.architectures : [wantUrl ? Arch.EFI_X64_HTTP : Arch.BIOS];
  for (const arch of arches) {
    const entry = boot.files.get(arch);
    if (!entry || isUrl(entry.file) !== wantUrl) continue;
    return {
      file: entry.file,
      vendorClass: wantUrl ? 'HTTPClient' : undefined,
      pathPrefix: entry.pathPrefix,
    };
  }
  return undefined;
}
