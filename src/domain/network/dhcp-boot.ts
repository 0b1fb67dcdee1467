/**
 * Which boot file a network-booting client gets, by how it identifies itself in its DHCP request.
 * Plinth chain-loads everything into iPXE, which then fetches an iPXE script over HTTP:
 *
 * | method            | client sends                                  | boot file                        |
 * |-------------------|-----------------------------------------------|----------------------------------|
 * | `ipxe`            | user class "iPXE" (RFC 3004 option 77)        | `http://<rack>:5248/ipxe.cfg`    |
 * | `uefi_amd64_http` | arch 16, x86-64 UEFI HTTP (RFC 4578 opt. 93)  | `http://<rack>:5248/ipxe.efi`, and option 60 echoed as "HTTPClient" (UEFI 2.5+ HTTP boot) |
 * | `uefi_amd64_tftp` | arch 7 (x86-64 UEFI PXE)                      | `ipxe.efi` over TFTP             |
 * | `uefi_ebc_tftp`   | arch 9 (EFI byte code / x86-64, RFC 4578 §2.1 errata) | `ipxe.efi` over TFTP     |
 * | `pxe`             | arch 0 (BIOS), or no/unknown arch (fallback)  | `undionly.kpxe` over TFTP        |
 *
 * Rules are listed in the order a server must try them (the user class first: an iPXE ROM also
 * sends an architecture). For DHCPv6 the boot file is always a URL (RFC 5970 §3.1), so TFTP files
 * become `tftp://[<rack>]/<file>`.
 */
import { formatIp, type IpAddress } from './ip.ts';

export type BootMethod = 'ipxe' | 'uefi_amd64_http' | 'uefi_amd64_tftp' | 'uefi_ebc_tftp' | 'pxe';
export const BOOT_METHODS: readonly BootMethod[] = ['ipxe', 'uefi_amd64_http', 'uefi_amd64_tftp', 'uefi_ebc_tftp', 'pxe'];

/** One entry of the boot decision, tried in list order. */
export interface BootRule {
  method: BootMethod;
  /** Matches a client whose user class (option 77 / DHCPv6 option 15) equals this. */
  user_class?: 'iPXE';
  /** Matches a client whose architecture type (option 93 / DHCPv6 option 61) is one of these. */
  arches?: number[];
  /** The rule for clients that match no other rule. */
  fallback?: true;
  /** Boot file name (DHCPv4 `file`/option 67) or URL (always a URL for DHCPv6). */
  filename: string;
  /** Vendor class to echo in option 60 (UEFI HTTP boot clients ignore replies without it). */
  vendor_class?: 'HTTPClient';
}

export interface BootSettings {
  /** Port of the rack's HTTP boot server (MAAS: 5248). */
  httpPort?: number;
}

const ARCH_OF: Partial<Record<BootMethod, number>> = { uefi_amd64_http: 16, uefi_amd64_tftp: 7, uefi_ebc_tftp: 9, pxe: 0 };

/** Accepts a method name, or an architecture code as "7", "0x07", "00:07" or "0007". */
function disabledArchCode(entry: string): number | null {
  const t = entry.trim().toLowerCase();
  if (/^[0-9]+$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]{1,4}$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^[0-9a-f]{2}:[0-9a-f]{2}$/.test(t)) return parseInt(t.replace(':', ''), 16);
  return null;
}

/** The boot rules for a subnet served from `rack` (the next-server address). */
export function bootRules(rack: IpAddress, settings: BootSettings = {}, disabled: readonly string[] = []): BootRule[] {
  const port = settings.httpPort ?? 5248;
  const host = rack.version === 6 ? `[${formatIp(rack)}]` : formatIp(rack);
  const http = (file: string) => `http://${host}:${port}/${file}`;
  const tftp = (file: string) => (rack.version === 6 ? `tftp://${host}/${file}` : file);
  const rules: BootRule[] = [
    { method: 'ipxe', user_class: 'iPXE', filename: http('ipxe.cfg') },
    { method: 'uefi_amd64_http', arches: [16], filename: http('ipxe.efi'), vendor_class: 'HTTPClient' },
    { method: 'uefi_amd64_tftp', arches: [7], filename: tftp('ipxe.efi') },
    { method: 'uefi_ebc_tftp', arches: [9], filename: tftp('ipxe.efi') },
    { method: 'pxe', arches: [0], fallback: true, filename: tftp('undionly.kpxe') },
  ];
  const names = new Set(disabled.map((d) => d.trim().toLowerCase()));
  const codes = new Set(disabled.map(disabledArchCode).filter((c): c is number => c !== null));
  return rules.filter((r) => !names.has(r.method) && !(ARCH_OF[r.method] !== undefined && codes.has(ARCH_OF[r.method]!)));
}
