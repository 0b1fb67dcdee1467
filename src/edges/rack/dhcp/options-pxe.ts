/**
 * Network-boot options from clients: vendor class (option 60, "PXEClient…" / "HTTPClient…" per
 * the PXE 2.1 spec and UEFI 2.5+ HTTP boot), user class (option 77, RFC 3004; iPXE sends the bare
 * string "iPXE"), client system architecture (93), network device interface (94) and machine
 * UUID/GUID (97), all RFC 4578 §2.
 */
import { Opt } from './codes.ts';
import { MalformedOption } from './options-basic.ts';

/** RFC 4578 §2.1 / IANA "Processor Architecture Types" values this server names. */
export const Arch = {
  BIOS: 0,
  EFI_IA32: 6,
  EFI_X64: 7,
  EFI_BC: 9,
  EFI_ARM64: 11,
  EFI_X64_HTTP: 16,
  EFI_ARM64_HTTP: 19,
} as const;

export interface NetworkInterfaceId {
  /** 1 = UNDI (the only type RFC 4578 defines). */
  type: number;
  major: number;
  minor: number;
}

/** Option 93: a list of 16-bit architecture types, most preferred first. */
export function decodeArchList(value: Buffer): number[] {
  if (value.length === 0 || value.length % 2 !== 0) throw new MalformedOption(Opt.CLIENT_ARCH, `length ${value.length} is not a non-zero even number`);
  const out: number[] = [];
  for (let i = 0; i < value.length; i += 2) out.push(value.readUInt16BE(i));
  return out;
}

/** Option 94: type, major, minor (3 octets). */
export function decodeNetworkInterfaceId(value: Buffer): NetworkInterfaceId {
  if (value.length !== 3) throw new MalformedOption(Opt.CLIENT_NDI, `expected 3 octets, got ${value.length}`);
  return { type: value[0], major: value[1], minor: value[2] };
}

/**
 * Option 97: type 0 followed by a 16-octet GUID, rendered 8-4-4-4-12 in wire order.
 * Returns undefined for other types (RFC 4578 §2.3 defines only type 0).
 */
export function decodeClientUuid(value: Buffer): string | undefined {
  if (value.length !== 17) throw new MalformedOption(Opt.CLIENT_UUID, `expected 17 octets, got ${value.length}`);
  if (value[0] !== 0) return undefined;
  const hex = value.subarray(1).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Option 77. RFC 3004 frames each class as <len><data>; many clients (iPXE among them) send a
 * single unframed string. If the value does not parse exactly as RFC 3004 frames, it is taken as
 * one unframed class.
 */
export function decodeUserClasses(value: Buffer): string[] {
  if (value.length === 0) throw new MalformedOption(Opt.USER_CLASS, 'empty user class');
  const framed: string[] = [];
  let at = 0;
  while (at < value.length) {
    const len = value[at];
    if (len === 0 || at + 1 + len > value.length) {
      return [value.toString('latin1')];
    }
    framed.push(value.subarray(at + 1, at + 1 + len).toString('latin1'));
    at += 1 + len;
  }
  return framed;
}

export type BootClientKind = 'pxe' | 'http' | 'ipxe' | 'none';

/** What kind of network-boot client sent this request (order: iPXE wins over the firmware it runs in). */
export function bootClientKind(vendorClass: string | undefined, userClasses: readonly string[]): BootClientKind {
  if (userClasses.includes('iPXE')) return 'ipxe';
  if (vendorClass?.startsWith('HTTPClient')) return 'http';
  if (vendorClass?.startsWith('PXEClient')) return 'pxe';
  return 'none';
}
