/** The lab's pure parts: option checks, address plan, machine specs, QEMU command lines, configs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCidr, hostAddress, overlaps, parseCidr, ulaHost, ulaPrefix } from '../../src/edges/lab/cidr.ts';
import { judge } from '../../src/edges/lab/accel.ts';
import { emulatorCommands, lanConf } from '../../src/edges/lab/bmc.ts';
import { radvdConf } from '../../src/edges/lab/network.ts';
import { labNameFor, parseOptions, planMachine, planNetwork } from '../../src/edges/lab/plan.ts';
import { aptLine, missingPackages } from '../../src/edges/lab/prereqs.ts';
import { bootOrder, qemuArgs } from '../../src/edges/lab/qemu-args.ts';
import type { BootDevice, LabUpOptions } from '../../src/edges/lab/types.ts';

const base = { stateDir: '/tmp/plab-unit' };

describe('lab options', () => {
  const rejected: Array<[string, LabUpOptions, RegExp]> = [
    ['no machines', { ...base, machines: 0 }, /machines/],
    ['fractional disks', { ...base, disks: 1.5 }, /disks/],
    ['unknown firmware', { ...base, firmware: 'coreboot' as 'bios' }, /firmware/],
    ['UEFI below 192 MiB', { ...base, firmware: 'uefi', memoryMiB: 128 }, /at least 192 MiB/],
    ['mixed below 192 MiB', { ...base, firmware: 'mixed', memoryMiB: 160 }, /at least 192 MiB/],
    ['unknown option', { ...base, bogus: 1 } as LabUpOptions, /Unrecognized key/],
    ['password with a space', { ...base, bmc: { password: 'a b' } }, /bmc\.password/],
    ['upper-case name', { ...base, name: 'LAB' }, /name/],
    ['bad namespace', { ...base, rackNamespace: 'a/b' }, /rackNamespace/],
  ];
  for (const [what, opts, msg] of rejected) {
    it(`rejects ${what}`, () => {
      assert.throws(() => parseOptions(opts), (e: Error & { code?: string }) => e.code === 'bad_option' && msg.test(e.message));
    });
  }

  it('fills in documented defaults', () => {
    const s = parseOptions(base);
    assert.equal(s.machines, 1);
    assert.equal(s.firmware, 'bios');
    assert.equal(s.disks, 1);
    assert.equal(s.nics, 1);
    assert.equal(s.memoryMiB, 1536, 'enough for the ephemeral environment (its squashfs root is copied into RAM)');
    assert.deepEqual(s.network, { provisioningCidr: '10.213.0.0/24', bmcCidr: '10.214.0.0/24' });
    assert.deepEqual(s.bmc, { user: 'admin', password: 'password' });
    assert.equal(s.accel, 'auto');
  });
});

describe('lab address plan', () => {
  it('derives a stable 8-character name from the state directory', () => {
    assert.match(labNameFor('/tmp/a'), /^pl[0-9a-f]{6}$/);
    assert.equal(labNameFor('/tmp/a'), labNameFor('/tmp/a/'));
    assert.notEqual(labNameFor('/tmp/a'), labNameFor('/tmp/b'));
  });

  it('gives the rack the first host of each network and names its links by the lab prefix', () => {
    const n = planNetwork(parseOptions(base), 'pltest');
    assert.deepEqual(n.provisioning, { cidr: '10.213.0.0/24', rackAddress: '10.213.0.1', prefix: 24 });
    assert.deepEqual(n.bmc, { cidr: '10.214.0.0/24', rackAddress: '10.214.0.1', prefix: 24 });
    assert.deepEqual(n.rackLinks, { provisioning: 'pltest-rp', bmc: 'pltest-rb', vlan: null });
    assert.match(n.ula, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:0::\/64$/);
    assert.equal(n.vlan, null);
  });

  it('plans the VLAN on the next ULA subnet', () => {
    const n = planNetwork(parseOptions({ ...base, network: { ula: 'fd12:3456:789a:10::/64', vlan: { id: 42, cidr: '10.215.0.0/24' } } }), 'pltest');
    assert.equal(n.ula, 'fd12:3456:789a:10::/64');
    assert.deepEqual(n.vlan, { id: 42, cidr: '10.215.0.0/24', rackAddress: '10.215.0.1', prefix: 24, ula: 'fd12:3456:789a:11::/64' });
    assert.equal(n.rackLinks.vlan, 'pltest-v42');
  });

  const bad: Array<[string, LabUpOptions, RegExp]> = [
    ['overlapping networks', { ...base, network: { provisioningCidr: '10.9.0.0/16', bmcCidr: '10.9.4.0/24' } }, /overlaps/],
    ['host bits', { ...base, network: { bmcCidr: '10.214.0.5/24' } }, /host bits set/],
    ['not a prefix', { ...base, network: { provisioningCidr: '10.213.0/24' } }, /not an IPv4 prefix/],
    ['BMC network too small', { ...base, machines: 10, network: { bmcCidr: '10.214.0.0/28' } }, /too small for 10 BMCs/],
    ['a non-ULA IPv6 prefix', { ...base, network: { ula: '2001:db8:1:2::/64' } }, /unique local/],
  ];
  for (const [what, opts, msg] of bad) {
    it(`rejects ${what}`, () => {
      assert.throws(() => planNetwork(parseOptions(opts), 'pltest'), (e: Error & { code?: string }) => e.code === 'bad_option' && msg.test(e.message));
    });
  }

  const cidrs: Array<[string, number, string]> = [
    ['10.213.0.0/24', 1, '10.213.0.1'],
    ['10.214.0.0/24', 11, '10.214.0.11'],
    ['192.168.0.0/16', 256, '192.168.1.0'],
    ['172.16.4.0/30', 2, '172.16.4.2'],
  ];
  for (const [cidr, n, addr] of cidrs) {
    it(`host ${n} of ${cidr} is ${addr}`, () => {
      const net = parseCidr(cidr, 't');
      assert.equal(formatCidr(net), cidr);
      assert.equal(hostAddress(net, n), addr);
    });
  }
  it('knows when prefixes overlap', () => {
    const table: Array<[string, string, boolean]> = [
      ['10.0.0.0/8', '10.213.0.0/24', true],
      ['10.213.0.0/24', '10.213.1.0/24', false],
      ['10.213.0.128/25', '10.213.0.0/24', true],
      ['0.0.0.0/0', '192.0.2.0/24', true],
    ];
    for (const [a, b, expect] of table) assert.equal(overlaps(parseCidr(a, 'a'), parseCidr(b, 'b')), expect, `${a} vs ${b}`);
    assert.throws(() => hostAddress(parseCidr('10.0.0.0/30', 't'), 3), /no host number 3/);
  });
  it('builds RFC 4193 prefixes', () => {
    assert.equal(ulaPrefix('0123456789', 0), 'fd01:2345:6789:0::/64');
    assert.equal(ulaHost('fd01:2345:6789:0::/64', 1), 'fd01:2345:6789:0::1');
  });
});

describe('lab machines', () => {
  const s = parseOptions({ ...base, machines: 3, firmware: 'mixed', nics: 2, disks: 2 });
  const net = planNetwork(s, 'pltest');
  const ms = [1, 2, 3].map((n) => planMachine(s, 'pltest', '/tmp/plab-unit', net, n, 'tcg'));

  it('names, addresses and identifies each machine distinctly', () => {
    assert.deepEqual(ms.map((m) => m.name), ['vm01', 'vm02', 'vm03']);
    assert.deepEqual(ms.map((m) => m.bmc.address), ['10.214.0.11', '10.214.0.12', '10.214.0.13']);
    assert.deepEqual(ms.map((m) => m.bmc.serialPort), [9101, 9102, 9103]);
    assert.deepEqual(ms.map((m) => m.firmware), ['bios', 'uefi', 'bios']);
    const macs = ms.flatMap((m) => m.nics.map((n) => n.mac));
    assert.equal(new Set(macs).size, 6);
    for (const mac of macs) {
      assert.match(mac, /^52:54(:[0-9a-f]{2}){4}$/);
      assert.equal(parseInt(mac.slice(0, 2), 16) & 0b11, 0b10, 'unicast, locally administered');
    }
    assert.equal(new Set(ms.map((m) => m.uuid)).size, 3);
    assert.match(ms[0].uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(ms[1].uefi, { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/tmp/plab-unit/vms/vm02/OVMF_VARS.fd' });
    assert.deepEqual(ms[0].nics.map((n) => n.tap), ['vm01n0', 'vm01n1']);
  });

  it('refuses a state directory too long for a Unix socket path', () => {
    assert.throws(() => planMachine(s, 'pltest', `/tmp/${'x'.repeat(100)}`, net, 1, 'tcg'), /Unix socket limit/);
  });

  const orders: Array<[BootDevice, Record<string, number>]> = [
    ['none', { net0: 1, disk0: 2, disk1: 3 }],
    ['pxe', { net0: 1, disk0: 2, disk1: 3 }],
    ['default', { disk0: 1, disk1: 2, net0: 3 }],
    ['cdrom', { cd0: 1, net0: 2, disk0: 3, disk1: 4 }],
    ['bios', {}],
  ];
  for (const [device, order] of orders) {
    it(`boot device ${device} → boot order ${JSON.stringify(order)}`, () => {
      assert.deepEqual(bootOrder(device, ms[0]), order);
      const args = qemuArgs(ms[0], device).join(' ');
      for (const [id, index] of Object.entries(order)) assert.match(args, new RegExp(`id=${id},[^ ]*bootindex=${index}(?!\\d)`));
      assert.equal((args.match(/bootindex=/g) ?? []).length, Object.keys(order).length);
    });
  }

  it('runs BIOS machines on SeaBIOS and UEFI machines on OVMF with its network stacks off', () => {
    const bios = qemuArgs(ms[0], 'pxe').join(' ');
    const uefi = qemuArgs(ms[1], 'pxe').join(' ');
    assert.doesNotMatch(bios, /pflash|tianocore/);
    assert.match(uefi, /if=pflash,format=raw,unit=0,readonly=on,file=\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd/);
    assert.match(uefi, /if=pflash,format=raw,unit=1,file=\/tmp\/plab-unit\/vms\/vm02\/OVMF_VARS\.fd/);
    for (const sw of ['IPv4PXESupport', 'IPv6PXESupport', 'IPv4Support', 'IPv6Support']) {
      assert.match(uefi, new RegExp(`name=opt/org\\.tianocore/${sw},string=n`));
    }
    for (const a of [bios, uefi]) {
      assert.match(a, /-machine q35,accel=tcg,graphics=off/);
      assert.match(a, /-boot strict=on/);
      assert.match(a, /-device ipmi-bmc-extern,chardev=ipmi0,id=bmc0 -device isa-ipmi-bt,bmc=bmc0/);
      assert.match(a, /socket,id=ipmi0,host=127\.0\.0\.1,port=910\d,reconnect=10/);
      assert.match(a, /-netdev tap,id=hnet0,ifname=vm0\dn0,script=no,downscript=no/);
    }
  });
});

describe('lab daemon configurations', () => {
  const s = parseOptions({ ...base, network: { vlan: { id: 7, cidr: '10.215.0.0/24' } } });
  const net = planNetwork(s, 'pltest');
  const m = planMachine(s, 'pltest', '/tmp/plab-unit', net, 1, 'tcg');

  it('configures ipmi_sim with the BMC address, the admin user and the chassis program', () => {
    const conf = lanConf(m, '/usr/bin/node prog /tmp/plab-unit/vms/vm01');
    assert.match(conf, /^ {2}addr 10\.214\.0\.11 623$/m);
    assert.match(conf, /^user 2 true "admin" "password" admin 10 md2 md5 straight$/m);
    assert.match(conf, /^chassis_control "\/usr\/bin\/node prog \/tmp\/plab-unit\/vms\/vm01"$/m);
    assert.match(conf, /^serial 15 127\.0\.0\.1 9101 codec VM$/m);
    assert.match(emulatorCommands(), /^mc_setbmc 0x20$/m);
  });

  it('advertises only prefixes, never a default route', () => {
    const conf = radvdConf(net);
    assert.equal((conf.match(/AdvDefaultLifetime 0;/g) ?? []).length, 2);
    assert.match(conf, /interface br0 \{/);
    assert.match(conf, /interface br0\.7 \{/);
    assert.ok(conf.includes(`prefix ${net.ula} {`));
  });
});

describe('lab host checks', () => {
  const verdicts: Array<[number | null, number | null, 'kvm' | 'tcg']> = [
    [0.2, 0.3, 'kvm'],
    [1.0, 0.3, 'kvm'],
    [3.8, 0.27, 'tcg'],
    [null, 0.3, 'tcg'],
    [0.5, null, 'kvm'],
  ];
  for (const [kvm, tcg, expect] of verdicts) {
    it(`KVM ${kvm} s vs TCG ${tcg} s → ${expect}`, () => {
      const v = judge(kvm, tcg);
      assert.equal(v.accel, expect);
      if (expect === 'tcg') assert.match(v.reason, /using software emulation \(slower\)/);
    });
  }

  it('names missing Debian packages in an apt-get line', () => {
    const missing = missingPackages([
      { pkg: 'plinth-nonexistent-a', program: 'plinth-no-such-program', why: 't' },
      { pkg: 'plinth-nonexistent-b', file: '/nonexistent/plinth', why: 't' },
      { pkg: 'coreutils', program: 'ls', why: 't' },
    ]);
    assert.deepEqual(missing, ['plinth-nonexistent-a', 'plinth-nonexistent-b']);
    assert.equal(aptLine(missing), 'apt-get install -y plinth-nonexistent-a plinth-nonexistent-b');
  });
});
