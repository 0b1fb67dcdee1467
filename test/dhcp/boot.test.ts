/**
 * Network-boot answers over real loopback UDP: PXE BIOS / UEFI, UEFI HTTP boot, iPXE, plain
 * clients, configured architectures, long URLs, and the boot identity reported in lease events.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { startHarness, ipBytes, messageType, T, type Harness, type RequestSpec } from './helpers/peer.ts';
import { testConfig, relayedSubnet, attachedSubnet, freshMac, RELAY_IP, SERVER_IP } from './helpers/fixtures.ts';

const NEXT = '127.42.0.5';
const longUrl = `http://${NEXT}:5248/images/${'x'.repeat(150)}/bootaa64.efi`;

let h: Harness;
before(async () => {
  h = await startHarness({
    config: testConfig({
      subnets: [
        relayedSubnet({ boot: { files: [{ arch: 11, file: 'grubaa64.efi' }, { arch: 19, file: longUrl }, { arch: 14, file: 'pxelinux.0', pathPrefix: 'ppc64el/' }] } }),
        attachedSubnet({ boot: { enabled: false } }),
      ],
    }),
  });
});
after(async () => { await h.close(); });

const arch = (n: number): [number, number[]] => [Opt.CLIENT_ARCH, [n >> 8, n & 255]];
const vendor = (s: string): [number, string] => [Opt.VENDOR_CLASS, s];
const PXE_BIOS = 'PXEClient:Arch:00000:UNDI:002001';
const PXE_EFI = 'PXEClient:Arch:00007:UNDI:003016';
const HTTP_EFI = 'HTTPClient:Arch:00016:UNDI:003016';

interface BootCase {
  name: string;
  options: RequestSpec['options'];
  file: string;
  vendorEcho?: string;
  pathPrefix?: string;
  /** Option 175 (iPXE's): sub-option 176 no-pxedhcp = 1 for iPXE clients only. */
  ipxe?: number[];
}
const NO_PXEDHCP = [176, 1, 1];

const cases: BootCase[] = [
  { name: 'PXE BIOS (arch 0)', options: [vendor(PXE_BIOS), arch(0)], file: 'undionly.kpxe' },
  { name: 'PXE without option 93 counts as BIOS', options: [vendor(PXE_BIOS)], file: 'undionly.kpxe' },
  { name: 'PXE x86-64 UEFI (arch 7)', options: [vendor(PXE_EFI), arch(7)], file: 'ipxe.efi' },
  { name: 'PXE x86-64 UEFI (arch 9)', options: [vendor('PXEClient:Arch:00009:UNDI:003016'), arch(9)], file: 'ipxe.efi' },
  { name: 'PXE arm64 UEFI (configured arch 11)', options: [vendor('PXEClient:Arch:00011:UNDI:003000'), arch(11)], file: 'grubaa64.efi' },
  { name: 'PXE with a path prefix (arch 14, option 210)', options: [vendor('PXEClient:Arch:00014:UNDI:003000'), arch(14)], file: 'pxelinux.0', pathPrefix: 'ppc64el/' },
  { name: 'PXE listing an unknown arch first', options: [vendor(PXE_EFI), [Opt.CLIENT_ARCH, [0, 99, 0, 7]]], file: 'ipxe.efi' },
  { name: 'UEFI HTTP boot (arch 16)', options: [vendor(HTTP_EFI), arch(16)], file: `http://${NEXT}:5248/ipxe.efi`, vendorEcho: 'HTTPClient' },
  { name: 'UEFI HTTP boot, URL too long for the file field (arch 19)', options: [vendor('HTTPClient:Arch:00019:UNDI:003000'), arch(19)], file: longUrl, vendorEcho: 'HTTPClient' },
  { name: 'iPXE in a BIOS ROM (user class iPXE)', options: [vendor(PXE_BIOS), arch(0), [Opt.USER_CLASS, 'iPXE']], file: `http://${NEXT}:5248/ipxe.cfg`, ipxe: NO_PXEDHCP },
  { name: 'iPXE EFI, RFC 3004 framed user class', options: [vendor(PXE_EFI), arch(7), [Opt.USER_CLASS, [4, ...Buffer.from('iPXE')]]], file: `http://${NEXT}:5248/ipxe.cfg`, ipxe: NO_PXEDHCP },
];

for (const c of cases) {
  test(`boot: ${c.name}`, async () => {
    const mac = freshMac();
    const base: RequestSpec['options'] = [[Opt.PARAM_REQUEST_LIST, [1, 3, 66, 67, 60, 43]], ...(c.options ?? [])];
    const offer = await h.exchange({ type: T.DISCOVER, mac, giaddr: RELAY_IP, options: base });
    const ack = await h.exchange({ type: T.REQUEST, mac, giaddr: RELAY_IP, options: [...base, [Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(offer.packet.yiaddr)]] });
    for (const [r, type] of [[offer, T.OFFER], [ack, T.ACK]] as const) {
      assert.equal(messageType(r), type);
      assert.equal(r.packet.siaddr, NEXT, 'siaddr = next-server');
      assert.equal(r.packet.options.get(Opt.BOOTFILE_NAME)?.toString(), c.file, 'option 67');
      assert.equal(r.packet.file, c.file.length <= 127 ? c.file : '', 'file field');
      assert.equal(r.packet.options.get(Opt.TFTP_SERVER_NAME)?.toString(), NEXT, 'option 66');
      assert.equal(r.packet.options.get(Opt.VENDOR_CLASS)?.toString(), c.vendorEcho, 'option 60 echo');
      assert.equal(r.packet.options.get(Opt.PATH_PREFIX)?.toString(), c.pathPrefix, 'option 210');
      assert.deepEqual(r.packet.options.has(Opt.IPXE_ENCAP) ? [...r.packet.options.get(Opt.IPXE_ENCAP)!] : undefined, c.ipxe, 'option 175');
    }
  });
}

const noBoot: Array<[string, RequestSpec['options']]> = [
  ['a plain DHCP client', [vendor('udhcp 1.36.1')]],
  ['PXE arch with no configured file (arch 6)', [vendor('PXEClient:Arch:00006:UNDI:003000'), arch(6)]],
  ['HTTP client on an arch with only a TFTP file (arch 7)', [vendor('HTTPClient:Arch:00007:UNDI:003000'), arch(7)]],
];
for (const [name, options] of noBoot) {
  test(`boot: no boot answer for ${name}`, async () => {
    const r = await h.exchange({ type: T.DISCOVER, mac: freshMac(), giaddr: RELAY_IP, options: [[Opt.PARAM_REQUEST_LIST, [1, 66, 67]], ...(options ?? [])] });
    assert.equal(messageType(r), T.OFFER, 'still gets an address');
    assert.equal(r.packet.file, '');
    assert.equal(r.packet.siaddr, '0.0.0.0');
    assert.equal(r.packet.options.has(Opt.BOOTFILE_NAME), false);
    assert.equal(r.packet.options.has(Opt.VENDOR_CLASS), false);
    assert.equal(r.packet.options.has(Opt.IPXE_ENCAP), false);
  });
}

test('boot: disabled per subnet', async () => {
  const r = await h.exchange({ type: T.DISCOVER, mac: freshMac(), options: [vendor(PXE_BIOS), arch(0)] });
  assert.equal(messageType(r), T.OFFER);
  assert.equal(r.packet.file, '');
});

test('boot: lease events carry the machine UUID (97) and architecture (93)', async () => {
  const mac = freshMac();
  const uuid = Buffer.from('4c4c4544004a3910804bb4c04f565831', 'hex');
  const options: RequestSpec['options'] = [vendor(PXE_EFI), arch(7), [Opt.CLIENT_UUID, Buffer.concat([Buffer.from([0]), uuid])], [Opt.CLIENT_NDI, [1, 3, 16]]];
  const offer = await h.exchange({ type: T.DISCOVER, mac, giaddr: RELAY_IP, options });
  await h.exchange({ type: T.REQUEST, mac, giaddr: RELAY_IP, options: [...options!, [Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(offer.packet.yiaddr)]] });
  const ev = h.events.find((e) => e.mac === mac);
  assert.equal(ev?.clientUuid, '4c4c4544-004a-3910-804b-b4c04f565831');
  assert.equal(ev?.architecture, 7);
});
