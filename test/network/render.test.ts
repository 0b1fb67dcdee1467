/**
 * Netplan and ifupdown rendering: golden files for the four reference machines, then the same
 * output checked by the real consumers when they are installed (netplan.io's `netplan generate`
 * into a temporary root, ifupdown's `ifup --no-act`) and the YAML read back by PyYAML.
 * Regenerate the golden files after a deliberate change with PLINTH_UPDATE_GOLDEN=1.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { renderIfupdown, renderUdevNetRules } from '../../src/domain/network/render/ifupdown.ts';
import { netplanDocument, renderNetplan } from '../../src/domain/network/render/netplan.ts';
import { NetworkConfigError, type NetworkConfigInput } from '../../src/domain/network/render/plan.ts';
import { toYaml } from '../../src/domain/network/render/yaml.ts';
import { bond, link, physical, subnet, vlan } from './fixtures.ts';
import { scenarios } from './render-scenarios.ts';

const goldenDir = join(import.meta.dirname, 'golden');
const update = process.env.PLINTH_UPDATE_GOLDEN === '1';

function golden(file: string, actual: string) {
  const path = join(goldenDir, file);
  if (update) writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `${file} differs from the golden file`);
}

describe('golden output', () => {
  for (const [name, input] of Object.entries(scenarios)) {
    test(`${name}: netplan`, () => golden(`${name}.netplan.yaml`, renderNetplan(input)));
    test(`${name}: ifupdown`, () => golden(`${name}.interfaces`, renderIfupdown(input)));
    test(`${name}: deterministic under input reordering`, () => {
      const shuffled: NetworkConfigInput = { ...input, interfaces: [...input.interfaces].reverse(), subnets: [...input.subnets].reverse() };
      assert.equal(renderNetplan(shuffled), renderNetplan(input));
      assert.equal(renderIfupdown(shuffled), renderIfupdown(input));
    });
  }
});

describe('rendering rules', () => {
  const lan = subnet({ id: 1, cidr: '10.1.20.0/24', gateway_ip: '10.1.20.1' });
  const base = { vlans: [vlan()], subnets: [lan] };

  test('an auto link without an allocated address is refused with a clear message', () => {
    const input = { ...base, interfaces: [physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01', links: [link(1, 'auto', 1)] })] };
    assert.throws(() => renderNetplan(input), (e: unknown) => e instanceof NetworkConfigError && /eth0: the auto link to 10\.1\.20\.0\/24 has no IP address; allocate one/.test(e.message));
  });

  test('a search domain without DNS servers still writes nameservers.addresses (cloud-init 22.x requires the key)', () => {
    const doc = netplanDocument({ ...base, searchDomains: ['maas'],
      interfaces: [physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01', links: [link(11, 'static', 1, '10.1.20.5')] })] });
    const eth = doc.network.ethernets as Record<string, Record<string, unknown>>;
    assert.deepEqual(eth.eth0.nameservers, { addresses: [], search: ['maas'] });
  });

  test('without an explicit choice the default gateway goes on the first static link only', () => {
    const other = subnet({ id: 2, cidr: '10.1.30.0/24', gateway_ip: '10.1.30.1' });
    const doc = netplanDocument({
      vlans: [vlan()],
      subnets: [lan, other],
      interfaces: [
        physical({ id: 2, name: 'eth1', mac: '52:54:00:00:00:02', links: [link(21, 'static', 2, '10.1.30.5')] }),
        physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01', links: [link(11, 'static', 1, '10.1.20.5')] }),
      ],
    });
    const eth = doc.network.ethernets as Record<string, Record<string, unknown>>;
    assert.deepEqual(eth.eth0.routes, [{ to: 'default', via: '10.1.20.1' }]);
    assert.equal(eth.eth1.routes, undefined);
  });

  test('bond parameters only appear for the modes they apply to', () => {
    const input = {
      ...base,
      interfaces: [
        physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01' }),
        bond({ id: 2, name: 'bond0', mac: '52:54:00:00:00:01', parents: [1], links: [link(1, 'dhcp', 1)] }, { mode: 'active-backup', num_grat_arp: 3 }),
      ],
    };
    const params = (netplanDocument(input).network.bonds as Record<string, Record<string, unknown>>).bond0.parameters;
    assert.deepEqual(params, { mode: 'active-backup', 'mii-monitor-interval': 100, 'up-delay': 0, 'down-delay': 0, 'gratuitous-arp': 3 });
    const eni = renderIfupdown(input);
    assert.match(eni, /bond-num-grat-arp 3/);
    assert.doesNotMatch(eni, /bond-lacp-rate|bond-xmit-hash-policy/);
  });

  test('disabled interfaces are left out; building on one is refused', () => {
    const off = physical({ id: 2, name: 'eth1', mac: '52:54:00:00:00:02', enabled: false });
    const input = { ...base, interfaces: [physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01' }), off] };
    assert.doesNotMatch(renderNetplan(input), /eth1/);
    const broken = { ...base, interfaces: [off, bond({ id: 3, name: 'bond0', mac: '52:54:00:00:00:02', parents: [2] })] };
    assert.throws(() => renderIfupdown(broken), /bond0 is built on eth1, which is disabled/);
  });

  test('accept-ra is written for netplan and on the inet6 stanza for ifupdown', () => {
    const lan6 = subnet({ id: 2, cidr: '2001:db8:20::/64' });
    const eth0 = { ...physical({ id: 1, name: 'eth0', mac: '52:54:00:00:00:01', links: [link(1, 'dhcp', 1), link(2, 'static', 2, '2001:db8:20::11')] }), accept_ra: false };
    const input = { vlans: [vlan()], subnets: [lan, lan6], interfaces: [eth0] };
    assert.equal((netplanDocument(input).network.ethernets as Record<string, Record<string, unknown>>).eth0['accept-ra'], false);
    assert.match(renderIfupdown(input), /iface eth0 inet dhcp\n {4}pre-up ip link set dev eth0 mtu 1500\niface eth0 inet6 static\n {4}address 2001:db8:20::11\/64\n {4}accept_ra 0\n/);
  });

  test('udev rules pin physical names to MAC addresses', () => {
    assert.equal(
      renderUdevNetRules(scenarios['two-nics-gateway']),
      'SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="52:54:00:00:00:01", NAME="eth0"\n' +
        'SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="52:54:00:00:00:02", NAME="eth1"\n',
    );
  });
});

describe('YAML emitter', () => {
  const cases: [string, unknown, string][] = [
    ['plain words stay plain', { a: 'eth0', b: 'bond0.100', c: '10.0.0.1/24' }, 'a: eth0\nb: bond0.100\nc: 10.0.0.1/24\n'],
    ['colons are quoted (no YAML 1.1 sexagesimal)', { mac: '52:54:00:00:00:01' }, 'mac: "52:54:00:00:00:01"\n'],
    ['numbers and booleans as text are quoted', { a: '1500', b: 'yes', c: 'off', d: '1e5', e: '' }, 'a: "1500"\nb: "yes"\nc: "off"\nd: "1e5"\ne: ""\n'],
    ['typed scalars, empties, undefined dropped', { mtu: 9000, on: true, none: null, list: [], map: {}, gone: undefined }, 'mtu: 9000\n"on": true\nnone: null\nlist: []\nmap: {}\n'],
    ['sequences of mappings', { r: [{ to: 'default', via: '10.0.0.1' }] }, 'r:\n  - to: default\n    via: 10.0.0.1\n'],
  ];
  for (const [name, value, expected] of cases) test(name, () => assert.equal(toYaml(value as never), expected));
});

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tmpRoot = mkdtempSync(join(tmpdir(), 'plinth-render-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

describe('checked by the real consumers', () => {
  test('netplan generate accepts every netplan document', { skip: have('netplan') ? false : 'netplan.io is not installed' }, () => {
    for (const [name, input] of Object.entries(scenarios)) {
      const root = join(tmpRoot, `np-${name}`);
      mkdirSync(join(root, 'etc/netplan'), { recursive: true });
      const file = join(root, 'etc/netplan/50-plinth.yaml');
      writeFileSync(file, renderNetplan(input));
      chmodSync(file, 0o600);
      const r = spawnSync('netplan', ['generate', '--root-dir', root], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, `${name}: netplan generate failed: ${r.stderr}`);
      const out = join(root, 'run/systemd/network');
      assert.ok(existsSync(out) && readdirSync(out).some((f) => f.endsWith('.network')), `${name}: no networkd files generated`);
    }
  });

  test('ifup --no-act accepts every interfaces file', { skip: have('ifup') ? false : 'ifupdown is not installed' }, () => {
    for (const [name, input] of Object.entries(scenarios)) {
      const file = join(tmpRoot, `${name}.interfaces`);
      writeFileSync(file, renderIfupdown(input));
      const state = mkdtempSync(join(tmpRoot, 'state-'));
      const r = spawnSync('ifup', ['--no-act', '-a', '-i', file, '--state-dir', state], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, `${name}: ifup --no-act failed: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /^ifup:/m, `${name}: ${r.stderr}`);
    }
  });

  test('PyYAML reads the netplan text back as the same document', { skip: have('python3') ? false : 'python3 is not installed' }, () => {
    const texts = Object.fromEntries(Object.entries(scenarios).map(([n, i]) => [n, renderNetplan(i)]));
    const script = 'import json,sys,yaml\nd=json.load(sys.stdin)\nprint(json.dumps({k: yaml.safe_load(v) for k, v in d.items()}))';
    const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8', timeout: 20_000 });
    if (r.status !== 0 && /No module named 'yaml'/.test(r.stderr)) return; // python3-yaml missing: nothing to compare with
    assert.equal(r.status, 0, r.stderr);
    const parsed = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const [name, input] of Object.entries(scenarios)) {
      assert.deepEqual(parsed[name], JSON.parse(JSON.stringify(netplanDocument(input))), name);
    }
  });
});
