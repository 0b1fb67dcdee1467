/**
 * The optional second, 802.1Q-tagged provisioning VLAN. Where the kernel can build VLANs the rack
 * gets a VLAN interface and a machine's second NIC becomes an untagged member of the VLAN; where it
 * cannot (some CI kernels have neither CONFIG_VLAN_8021Q nor bridge VLAN filtering) `up` must say
 * so plainly and leave nothing behind.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { labDown, labStatus, labUp, type LabUpOptions } from '../../src/edges/lab/index.ts';
import { ipmitool, labSkipReason, namespaces, processesMentioning, processGone, sh, tempStateDir, until } from './support.ts';

/** Tries the kernel features directly, in a namespace of the test's own. */
async function kernelHasVlans(): Promise<boolean> {
  const ns = `plabtest-${process.pid}-vprobe`;
  await sh('ip', ['netns', 'add', ns]);
  try {
    const a = await sh('ip', ['-n', ns, 'link', 'add', 'b0', 'type', 'bridge', 'vlan_filtering', '1']);
    const b = await sh('ip', ['-n', ns, 'link', 'add', 'link', 'b0', 'name', 'b0.7', 'type', 'vlan', 'id', '7']);
    return a.code === 0 && b.code === 0;
  } finally {
    await sh('ip', ['netns', 'del', ns]);
  }
}

describe('lab: tagged VLAN', { skip: labSkipReason() }, () => {
  const stateDir = tempStateDir('vlan');
  const rackNs = `plabtest-${process.pid}-vlan`;
  let supported = false;
  const name = `vl${process.pid % 100000}`;
  const options: LabUpOptions = {
    stateDir,
    name,
    machines: 1,
    nics: 2,
    memoryMiB: 128,
    rackNamespace: rackNs,
    network: { provisioningCidr: '10.242.1.0/24', bmcCidr: '10.242.2.0/24', vlan: { id: 42, cidr: '10.242.3.0/24' } },
  };

  before(async () => {
    supported = await kernelHasVlans();
  });
  after(async () => {
    await labDown(stateDir);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('builds the VLAN where the kernel supports it, or refuses clearly and leaves nothing behind', async (t) => {
    if (!supported) {
      await assert.rejects(labUp(options), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'bad_option');
        assert.match(err.message, /CONFIG_VLAN_8021Q/);
        return true;
      });
      assert.deepEqual((await namespaces()).filter((n) => n === rackNs || n.startsWith(`${name}-`)), []);
      assert.deepEqual(processesMentioning(`${stateDir}/`), []);
      t.diagnostic('this kernel has no 802.1Q VLAN support: checked the refusal only');
      return;
    }
    const st = await labUp(options);
    const addrs = await sh('ip', ['-n', rackNs, '-o', '-4', 'addr', 'show', 'dev', `${st.name}-v42`]);
    assert.match(addrs.out, /inet 10\.242\.3\.1\/24/);
    const bmc = st.machines[0].bmc.address;
    assert.match(await ipmitool(rackNs, bmc, ['chassis', 'power', 'on']), /Up\/On/);
    const pid = (await labStatus(stateDir)).machines[0].pid ?? 0;
    assert.ok(pid > 0);
    const ports = await sh('bridge', ['-n', `${st.name}-prov`, 'vlan', 'show', 'dev', 'vm01n1']);
    assert.match(ports.out, /42 PVID Egress Untagged/);
    const trunk = await sh('bridge', ['-n', `${st.name}-prov`, 'vlan', 'show', 'dev', 'uplink']);
    assert.match(trunk.out, /\b42\b/);
    assert.match(await ipmitool(rackNs, bmc, ['chassis', 'power', 'off']), /Down\/Off/);
    assert.ok(await until(() => processGone(pid), 10_000));
    const report = await labDown(stateDir);
    assert.deepEqual(report.leftovers, []);
    assert.ok(report.namespacesRemoved.includes(rackNs));
  });
});
