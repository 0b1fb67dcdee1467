/**
 * A one-machine BIOS lab driven the way a provisioning system drives it: over IPMI (ipmitool,
 * lanplus) from the rack's namespace, watching the provisioning network for the machine's DHCP
 * request. Real QEMU, ipmi_sim, namespaces — no doubles.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { labConsole, labDown, labStatus, labUp, type LabStatus } from '../../src/edges/lab/index.ts';
import { cmdlineOf, DhcpListener, ipmitool, labSkipReason, links, namespaces, processesMentioning, processGone, sh, tempStateDir, until } from './support.ts';

describe('lab: a BIOS machine through its BMC', { skip: labSkipReason() }, () => {
  const stateDir = tempStateDir('bios');
  const rackNs = `plabtest-${process.pid}-bios`;
  let status: LabStatus;
  let listener: DhcpListener | undefined;
  let bmc = '';
  let pid = 0;
  const ipmi = (...args: string[]) => ipmitool(rackNs, bmc, args);

  before(async () => {
    // The rack's namespace belongs to the caller (here: the test); the lab only puts its links in it.
    await sh('ip', ['netns', 'add', rackNs]);
    status = await labUp({
      stateDir,
      machines: 1,
      firmware: 'bios',
      nics: 2,
      memoryMiB: 128,
      rackNamespace: rackNs,
    });
    bmc = status.machines[0].bmc.address;
    listener = await DhcpListener.start(rackNs);
  });

  after(async () => {
    await listener?.stop();
    await labDown(stateDir);
    await sh('ip', ['netns', 'del', rackNs]);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('gives the rack ordinary interfaces with the documented addresses', async () => {
    const r = await sh('ip', ['-n', rackNs, '-o', '-4', 'addr', 'show']);
    const expected: Array<[string, string]> = [
      [`${status.name}-rp`, '10.213.0.1/24'],
      [`${status.name}-rb`, '10.214.0.1/24'],
    ];
    for (const [dev, addr] of expected) {
      assert.match(r.out, new RegExp(`\\d+: ${dev}\\s+inet ${addr.replace(/\./g, '\\.')} `), `${dev} should carry ${addr}`);
    }
    assert.equal(bmc, '10.214.0.11');
    assert.equal(status.machines[0].power, 'off');
    assert.equal(status.radvdRunning, true);
    assert.match(await ipmi('chassis', 'power', 'status'), /Chassis Power is off/);
  });

  it('advertises the provisioning ULA prefix (router advertisements reach the rack)', async () => {
    const prefix = status.network.ula.replace(/:?:\/64$/, '').replace(/:0$/, '');
    const seen = await until(async () => {
      const r = await sh('ip', ['-n', rackNs, '-6', 'addr', 'show', 'dev', `${status.name}-rp`]);
      return r.out.includes(`inet6 ${prefix}:`);
    }, 20_000, 250);
    assert.ok(seen, `no SLAAC address from ${status.network.ula} on the rack's interface`);
  });

  it('bootdev pxe + power on: a DHCPDISCOVER reaches the rack within 60 s and power status is on', async () => {
    assert.match(await ipmi('chassis', 'bootdev', 'pxe'), /Set Boot Device to pxe/);
    const t0 = Date.now();
    assert.match(await ipmi('chassis', 'power', 'on'), /Up\/On/);
    const discover = await listener?.discoverFrom(status.machines[0].macs[0], 60_000);
    assert.ok(discover, 'no DHCPDISCOVER from the machine within 60 s');
    assert.ok(discover.at - t0 < 60_000);
    assert.match(await ipmi('chassis', 'power', 'status'), /Chassis Power is on/);
    const s = await labStatus(stateDir);
    assert.equal(s.machines[0].power, 'on');
    pid = s.machines[0].pid ?? 0;
    assert.ok(pid > 0 && !processGone(pid));
    // QEMU's external-BMC device is connected to the machine's ipmi_sim (the guest's in-band BMC).
    const conns = await sh('ip', ['netns', 'exec', `${status.name}-bmc`, 'ss', '-Htn', 'state', 'established']);
    assert.match(conns.out, /127\.0\.0\.1:9101\b/);
  });

  it('honours bootdev disk', async () => {
    assert.match(await ipmi('chassis', 'bootdev', 'disk'), /Set Boot Device to disk/);
    const chassis = JSON.parse(readFileSync(join(stateDir, 'vms', 'vm01', 'chassis.json'), 'utf8')) as { bootDevice: string };
    assert.equal(chassis.bootDevice, 'default');
    assert.match(await ipmi('chassis', 'bootparam', 'get', '5'), /Force Boot from default Hard-Drive/);
    assert.equal((await labStatus(stateDir)).machines[0].bootDevice, 'default');
  });

  it('power off: the QEMU process is gone and power status says off', async () => {
    assert.match(await ipmi('chassis', 'power', 'off'), /Down\/Off/);
    assert.ok(await until(() => processGone(pid), 10_000), `QEMU ${pid} still running`);
    assert.match(await ipmi('chassis', 'power', 'status'), /Chassis Power is off/);
    assert.equal((await labStatus(stateDir)).machines[0].power, 'off');
  });

  it('powers on with the disk first in the boot order after bootdev disk', async () => {
    assert.match(await ipmi('chassis', 'power', 'on'), /Up\/On/);
    const s = await labStatus(stateDir);
    const p = s.machines[0].pid ?? 0;
    assert.ok(p > 0);
    const cmd = cmdlineOf(p);
    assert.match(cmd, /id=disk0,[^ ]*bootindex=1/);
    assert.match(cmd, /id=net0,[^ ]*bootindex=2/);
    assert.match(await ipmi('chassis', 'power', 'off'), /Down\/Off/);
    assert.ok(await until(() => processGone(p), 10_000));
  });

  it('keeps the serial console in a log', () => {
    const c = labConsole(stateDir, 'vm01');
    assert.equal(c.path, join(stateDir, 'vms', 'vm01', 'console.log'));
    assert.match(c.content, /iPXE/);
    assert.throws(() => labConsole(stateDir, 'vm99'), { name: 'LabError', code: 'not_found' });
  });

  it('down removes every namespace, link and process; twice is fine', async () => {
    const report = await labDown(stateDir);
    assert.deepEqual(report.leftovers, []);
    assert.deepEqual((await namespaces()).filter((n) => n.startsWith(`${status.name}-`)), []);
    assert.deepEqual((await links(rackNs)).filter((l) => l.startsWith(`${status.name}-`)), []);
    assert.deepEqual(processesMentioning(`${stateDir}/`), []);
    const again = await labDown(stateDir);
    assert.deepEqual({ ...again, name: '' }, { name: '', stopped: [], namespacesRemoved: [], linksRemoved: [], leftovers: [] });
  });
});
