/**
 * Enlistment by the bundled agent: a machine with no credentials reports itself anonymously, gets its
 * credentials from its preseed, keeps them, signals COMMISSIONING and commissions.
 *
 * Test doubles, all for hardware this build host lacks: the machine's NICs are a small sysfs tree under
 * --root-dir (`sys/class/net/<nic>/{device,address}`); the in-band BMC is `dev/ipmi0` there plus a fake
 * `ipmitool` first on PATH that answers `lan print` and `user list` like a real BMC and records every
 * call (there is no in-band BMC on this host). The region is first a stand-in (fake-region.ts), then
 * the real one (test/lifecycle/helpers.ts, PGlite).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFrom } from '../../src/agent/config.ts';
import { parseLanAddress, parseUserList, pickUserSlot, userCommands } from '../../src/agent/commands/bmc.ts';
import { debianArchitecture, metadataRoot, physicalMacs } from '../../src/agent/commands/enlist.ts';
import { parentDisk } from '../../src/agent/commands/install-exec.ts';
import type { PowerCommand, PowerPort, PowerTarget } from '../../src/services/ports/power.ts';
import { startLifecycleRegion, type LifecycleRegion } from '../lifecycle/helpers.ts';
import { bundleAgent, FakeRegion, runAgent } from './fake-region.ts';

const dir = mkdtempSync(join(tmpdir(), 'plinth-enlist-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const LAN_PRINT = `Set in Progress         : Set Complete
IP Address Source       : Static Address
IP Address              : 10.245.0.9
Subnet Mask             : 255.255.255.0
MAC Address             : 52:54:00:12:34:56
`;
const USER_LIST = `ID  Name\t     Callin  Link Auth\tIPMI Msg   Channel Priv Limit
1                    true    false      false      Unknown (0x00)
2   ADMIN            false   false      true       ADMINISTRATOR
3                    true    false      false      NO ACCESS
4                    true    false      false      NO ACCESS
`;

/** A machine's root as the agent sees it: NICs in sysfs (two physical, two virtual), optionally a BMC device. */
function machineRoot(name: string, macs: string[], bmc: boolean): string {
  const root = join(dir, name);
  const nic = (n: string, mac: string, physical: boolean) => {
    mkdirSync(join(root, 'sys/class/net', n), { recursive: true });
    writeFileSync(join(root, 'sys/class/net', n, 'address'), `${mac}\n`);
    if (physical) mkdirSync(join(root, 'sys/class/net', n, 'device'));
  };
  macs.forEach((m, i) => nic(`eth${i}`, m, true));
  nic('lo', '00:00:00:00:00:00', false);
  nic('br0', '02:42:ac:11:00:01', false);
  if (bmc) { mkdirSync(join(root, 'dev'), { recursive: true }); writeFileSync(join(root, 'dev/ipmi0'), ''); }
  mkdirSync(join(root, 'etc/cloud/cloud.cfg.d'), { recursive: true });
  mkdirSync(join(root, 'tmp'), { recursive: true });
  return root;
}

function enlistConfig(root: string, origin: string): void {
  // The enlistment preseed as the region writes it: JSON after the header, no credentials.
  writeFileSync(join(root, 'etc/cloud/cloud.cfg.d/91_kernel_cmdline_url.cfg'),
    `#cloud-config\n${JSON.stringify({ manage_etc_hosts: true, datasource: { MAAS: { metadata_url: `${origin}/MAAS/metadata/enlist/` } }, power_state: { mode: 'poweroff' } }, null, 2)}\n`);
}

/** The fake ipmitool: canned answers, every call appended to $FAKE_IPMI_LOG. */
function fakeIpmitool(): { env: NodeJS.ProcessEnv; calls: () => string[][] } {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'lan-print'), LAN_PRINT); writeFileSync(join(bin, 'user-list'), USER_LIST);
  writeFileSync(join(bin, 'ipmitool'), `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_IPMI_LOG"
case "$*" in
  "lan print 1") cat "${bin}/lan-print" ;;
  "lan print "*) echo "Invalid channel" >&2; exit 1 ;;
  "user list 1") cat "${bin}/user-list" ;;
esac
`);
  chmodSync(join(bin, 'ipmitool'), 0o755);
  const log = join(dir, 'ipmi.log');
  writeFileSync(log, '');
  return {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_IPMI_LOG: log },
    calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')),
  };
}

describe('enlistment pieces', () => {
  test('architecture, physical NICs, the BMC\'s address and user slots', () => {
    assert.deepEqual(['x86_64', 'aarch64', 'ppc64le', 's390x', 'armv7l', 'i686'].map(debianArchitecture), ['amd64', 'arm64', 'ppc64el', 's390x', 'armhf', 'i386']);
    assert.throws(() => debianArchitecture('mips'), /Unknown machine architecture 'mips'/);
    const root = machineRoot('pieces', ['52:54:00:AA:00:01', '52:54:00:aa:00:02'], false);
    assert.deepEqual(physicalMacs(root), ['52:54:00:aa:00:01', '52:54:00:aa:00:02'], 'lo and the bridge have no device; MACs lower-cased');
    assert.equal(parseLanAddress(LAN_PRINT), '10.245.0.9');
    assert.equal(parseLanAddress(LAN_PRINT.replace('10.245.0.9', '0.0.0.0')), null);
    assert.deepEqual(parseUserList(USER_LIST).map((s) => `${s.id}:${s.name}`), ['1:', '2:ADMIN', '3:', '4:']);
    assert.equal(pickUserSlot(parseUserList(USER_LIST)), 3, 'slot 1 (anonymous) is never taken');
    assert.equal(pickUserSlot(parseUserList(USER_LIST.replace('3                ', '3   maas         '))), 3, 'an existing maas user is reused');
    assert.equal(pickUserSlot([{ id: 1, name: '' }, { id: 2, name: 'ADMIN' }]), null);
    assert.deepEqual(userCommands(1, 3, 'pw'), [['user', 'set', 'name', '3', 'maas'], ['user', 'set', 'password', '3', 'pw', '16'], ['user', 'priv', '3', '4', '1'],
      ['channel', 'setaccess', '1', '3', 'callin=on', 'ipmi=on', 'link=on', 'privilege=4'], ['user', 'enable', '3']]);
    assert.equal(metadataRoot('http://r:5248/MAAS/metadata/enlist/'), 'http://r:5248/MAAS/metadata/');
    assert.deepEqual(['/dev/sda2', '/dev/nvme0n1p3', '/dev/loop7p1', '/dev/disk/by-id/wwn-0x5-part2', '/dev/md/md0', '/dev/vg0/root'].map(parentDisk),
      ['/dev/sda', '/dev/nvme0n1', '/dev/loop7', '/dev/disk/by-id/wwn-0x5', null, null]);
  });
});

describe('enlistment against a stand-in region', () => {
  const CREDS = { consumer_key: 'NEWCK', token_key: 'NEWTK', token_secret: 'NEWTS' };
  const fake = new FakeRegion({ [CREDS.token_key]: CREDS.token_secret });
  const known = new Set<string>();
  let bundle = '';
  before(async () => {
    bundle = bundleAgent(dir);
    await fake.start();
    fake.routes.set('POST /MAAS/api/2.0/machines/', (r) => {
      const macs = r.fields.mac_addresses ?? [];
      const taken = macs.find((m) => known.has(m));
      if (taken) return { status: 400, type: 'application/json', body: JSON.stringify({ mac_addresses: [`Mac address ${taken} already in use on node-7.`] }) };
      macs.forEach((m) => known.add(m));
      return { type: 'application/json', body: JSON.stringify({ system_id: 'xyz123', status: 0 }) };
    });
    fake.routes.set('GET /MAAS/metadata/latest/by-id/xyz123/?op=get_preseed', {
      body: `#cloud-config\n${JSON.stringify({ datasource: { MAAS: { metadata_url: `${fake.url}/MAAS/metadata/`, ...CREDS } }, power_state: { mode: 'poweroff' } }, null, 2)}\n`,
    });
    fake.routes.set('POST /MAAS/metadata/latest/?op=signal', { body: 'OK' });
    fake.routes.set('GET /MAAS/metadata/latest/maas-scripts/', { status: 204 });
  });
  after(() => fake.stop());

  test('with an in-band BMC: a maas administrator is made; the machine posts its MACs and IPMI settings unsigned, then commissions', async () => {
    const root = machineRoot('bmc', ['52:54:00:aa:01:01', '52:54:00:aa:01:02'], true);
    enlistConfig(root, fake.url);
    const ipmi = fakeIpmitool();
    fake.requests = [];
    const r = await runAgent(bundle, ['--root-dir', root], ipmi.env);
    assert.equal(r.code, 0, r.out);
    const create = fake.requests.find((q) => q.url === '/MAAS/api/2.0/machines/')!;
    assert.equal(create.token, null, 'anonymous');
    assert.deepEqual(create.fields.mac_addresses, ['52:54:00:aa:01:01', '52:54:00:aa:01:02']);
    assert.equal(create.fields.architecture[0], debianArchitecture(process.arch === 'x64' ? 'x86_64' : 'aarch64'));
    assert.equal(create.fields.power_type[0], 'ipmi');
    const power = JSON.parse(create.fields.power_parameters[0]);
    assert.deepEqual({ ...power, power_pass: '' }, { power_address: '10.245.0.9', power_user: 'maas', power_pass: '', power_driver: 'LAN_2_0' });
    assert.match(power.power_pass, /^[A-Za-z0-9]{16}$/);
    const calls = ipmi.calls();
    assert.deepEqual(calls.slice(0, 2), [['lan', 'print', '1'], ['user', 'list', '1']]);
    assert.deepEqual(calls.slice(2), userCommands(1, 3, power.power_pass));
    assert.ok(!r.out.includes(power.power_pass), 'the BMC password is never logged');
    // The new credentials are kept where the agent reads them next time, and used from now on.
    const kept = configFrom([{ name: '92', text: readFileSync(join(root, 'etc/cloud/cloud.cfg.d/92_plinth_enlisted.cfg'), 'utf8') }]);
    assert.deepEqual(kept, { ...CREDS, consumer_secret: '', metadata_url: `${fake.url}/MAAS/metadata/` });
    assert.deepEqual(fake.signals().map((s) => s.status), ['COMMISSIONING', 'OK']);
    const signed = fake.requests.filter((q) => q.token !== null);
    assert.ok(signed.length >= 3 && signed.every((q) => q.token === CREDS.token_key && !q.badSignature));

    // Next boot: credentials present, so no enlistment, straight to the scripts.
    fake.requests = [];
    const again = await runAgent(bundle, ['--root-dir', root], ipmi.env);
    assert.equal(again.code, 0, again.out);
    assert.ok(!fake.requests.some((q) => q.url.startsWith('/MAAS/api/')));
  });

  test('no BMC: no ipmitool call, no power settings; an already known MAC is said so and the machine powers off', async () => {
    const root = machineRoot('nobmc', ['52:54:00:aa:02:01'], false);
    enlistConfig(root, fake.url);
    const ipmi = fakeIpmitool();
    fake.requests = [];
    const r = await runAgent(bundle, ['--root-dir', root], ipmi.env);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /no in-band BMC/);
    assert.deepEqual(ipmi.calls(), []);
    const create = fake.requests.find((q) => q.url === '/MAAS/api/2.0/machines/')!;
    assert.equal(create.fields.power_type, undefined);
    assert.equal(create.fields.power_parameters, undefined);

    const twin = machineRoot('twin', ['52:54:00:aa:02:01'], false);
    enlistConfig(twin, fake.url);
    fake.requests = [];
    const dup = await runAgent(bundle, ['--root-dir', twin], ipmi.env);
    assert.equal(dup.code, 0, dup.out);
    assert.match(dup.out, /already known to the region .*already in use on node-7.*powers off/);
    assert.deepEqual(fake.signals(), []);
    assert.ok(!existsSync(join(twin, 'etc/cloud/cloud.cfg.d/92_plinth_enlisted.cfg')));
  });
});

/**
 * TEST DOUBLE for the BMC behind the region's power port (the BMC the agent configured is a fake one
 * on no network): records what the region asks of it, and always succeeds.
 */
function recordingPower(): PowerPort & { calls: Array<{ command: PowerCommand; target: PowerTarget }> } {
  const calls: Array<{ command: PowerCommand; target: PowerTarget }> = [];
  return {
    calls, controls: () => true, queryable: () => true, canSetBootDevice: () => true, manual: () => false,
    async execute(target, command) {
      calls.push({ command, target });
      return { state: command === 'off' ? 'off' : 'on' };
    },
  } as PowerPort & { calls: typeof calls };
}

describe('enlistment against the real region (pglite)', () => {
  let r: LifecycleRegion;
  let bundle = '';
  const powerDouble = recordingPower();
  // The machine's sysfs mirrors this host's physical NICs: the commissioning facts (read from the real
  // host by the dry run) then describe the same NICs the machine enlisted with.
  const hostMacs = physicalMacs('/');
  const skip = hostMacs.length ? false : 'this host has no physical NIC for the commissioning facts to agree with';
  before(async () => { bundle = bundleAgent(dir); r = await startLifecycleRegion('pglite', { power: powerDouble }); });
  after(async () => { await r?.close(); });

  const enlistOnce = async (name: string, bmc: boolean) => {
    const root = machineRoot(name, hostMacs, bmc);
    enlistConfig(root, r.origin);
    const out = await runAgent(bundle, ['--root-dir', root, '--dry-run'], fakeIpmitool().env);
    assert.equal(out.code, 0, out.out);
    await r.runner.drain();
    return out.out;
  };
  const machines = async () => (await r.api('GET', 'machines/')).json();

  test('no BMC: created New with its MACs and no power type; it commissions itself (dry run) and stays New', { skip }, async () => {
    const log = await enlistOnce('region-nobmc', false);
    const [m] = await machines();
    assert.equal(m.status_name, 'New', `${m.status_message}\n${log}`);
    assert.equal(m.power_type, '');
    assert.deepEqual(m.interface_set.map((i: any) => i.mac_address).sort(), [...hostMacs].sort());
    const results = (await r.api('GET', `nodes/${m.system_id}/results/current-commissioning/`)).json();
    assert.equal(results.status_name, 'Passed', 'the enlisting machine commissioned itself');
    assert.equal((await r.api('DELETE', `machines/${m.system_id}/`)).status, 204);
  });

  test('with a BMC: created New with its MACs and IPMI power parameters; booting again without credentials is refused as known', { skip }, async () => {
    const log = await enlistOnce('region-bmc', true);
    const all = await machines();
    assert.equal(all.length, 1);
    const m = all[0];
    assert.equal(m.status_name, 'New', `${m.status_message}\n${log}`);
    assert.equal(m.power_type, 'ipmi');
    assert.deepEqual(m.interface_set.map((i: any) => i.mac_address).sort(), [...hostMacs].sort());
    const power = (await r.api('GET', `machines/${m.system_id}/?op=power_parameters`)).json();
    const { power_address, power_user, power_driver } = power;
    assert.deepEqual({ power_address, power_user, power_driver }, { power_address: '10.245.0.9', power_user: 'maas', power_driver: 'LAN_2_0' });
    assert.match(power.power_pass, /^[A-Za-z0-9]{16}$/);
    for (const c of powerDouble.calls) assert.deepEqual(c.target, { powerType: 'ipmi', params: power }, 'the region drives the BMC the agent set up');
    const results = (await r.api('GET', `nodes/${m.system_id}/results/current-commissioning/`)).json();
    assert.equal(results.status_name, 'Passed');

    const again = machineRoot('region-bmc-again', hostMacs, false);
    enlistConfig(again, r.origin);
    const dup = await runAgent(bundle, ['--root-dir', again, '--dry-run'], fakeIpmitool().env);
    assert.equal(dup.code, 0, dup.out);
    assert.match(dup.out, /already known to the region/);
    assert.equal((await machines()).length, 1);
  });
});
