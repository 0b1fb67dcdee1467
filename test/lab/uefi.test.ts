/**
 * A one-machine UEFI lab (OVMF + iPXE's EFI option ROM): powered on over IPMI it must send a DHCP
 * request to the rack. Here the rack's namespace does not exist beforehand, so the lab creates it
 * and `down` removes it again.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { labDown, labStatus, labUp, type LabStatus } from '../../src/edges/lab/index.ts';
import { cmdlineOf, DhcpListener, ipmitool, labSkipReason, namespaces, processesMentioning, processGone, tempStateDir, until } from './support.ts';

describe('lab: a UEFI machine through its BMC', { skip: labSkipReason() }, () => {
  const stateDir = tempStateDir('uefi');
  const rackNs = `plabtest-${process.pid}-uefi`;
  let status: LabStatus;
  let listener: DhcpListener | undefined;
  const ipmi = (...args: string[]) => ipmitool(rackNs, status.machines[0].bmc.address, args);

  before(async () => {
    status = await labUp({ stateDir, machines: 1, firmware: 'uefi', memoryMiB: 256, rackNamespace: rackNs });
    listener = await DhcpListener.start(rackNs);
  });

  after(async () => {
    await listener?.stop();
    await labDown(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('runs OVMF with a private copy of its variable store', () => {
    assert.equal(status.machines[0].firmware, 'uefi');
    assert.ok(existsSync(join(stateDir, 'vms', 'vm01', 'OVMF_VARS.fd')));
    assert.ok(status.namespaces.some((n) => n.name === rackNs && n.present));
  });

  it('bootdev pxe + power on: a DHCPDISCOVER reaches the rack within 120 s', async () => {
    assert.match(await ipmi('chassis', 'bootdev', 'pxe'), /Set Boot Device to pxe/);
    assert.match(await ipmi('chassis', 'power', 'on'), /Up\/On/);
    const pid = (await labStatus(stateDir)).machines[0].pid ?? 0;
    const cmd = cmdlineOf(pid);
    assert.match(cmd, /if=pflash,format=raw,unit=0,readonly=on,file=\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd/);
    assert.match(cmd, /opt\/org\.tianocore\/IPv6PXESupport,string=n/);
    const discover = await listener?.discoverFrom(status.machines[0].macs[0], 120_000);
    assert.ok(discover, 'no DHCPDISCOVER from the UEFI machine within 120 s');
    assert.match(await ipmi('chassis', 'power', 'status'), /Chassis Power is on/);
    assert.match(await ipmi('chassis', 'power', 'off'), /Down\/Off/);
    assert.ok(await until(() => processGone(pid), 10_000), `QEMU ${pid} still running`);
    assert.match(await ipmi('chassis', 'power', 'status'), /Chassis Power is off/);
  });

  it('down removes the namespaces it created, including the rack namespace', async () => {
    await listener?.stop();
    const report = await labDown(stateDir);
    assert.deepEqual(report.leftovers, []);
    assert.ok(report.namespacesRemoved.includes(rackNs));
    const left = (await namespaces()).filter((n) => n === rackNs || n.startsWith(`${status.name}-`));
    assert.deepEqual(left, []);
    assert.deepEqual(processesMentioning(`${stateDir}/`), []);
  });
});
