/**
 * Real Debian DHCP clients against the server, each side in its own network namespace joined by
 * a veth (addresses in 10.213.0.0/16 exist only inside those namespaces):
 * - busybox udhcpc gets a lease with the configured router, DNS, domain, search list and MTU —
 *   with replies sent to the directed broadcast (default) and to 255.255.255.255;
 * - ISC dhclient gets a lease, renews it (unicast RENEWING at T1) and releases it.
 * Needs root and `ip netns` (skipped otherwise), busybox (busybox-static) and dhclient
 * (isc-dhcp-client) — missing clients fail the test, naming the package.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile, chmod, access } from 'node:fs/promises';
import { join } from 'node:path';
import type { DhcpConfig, SubnetConfig } from '../../src/edges/rack/dhcp/config.ts';
import type { ListenOptions } from '../../src/edges/rack/dhcp/server.ts';
import { createLink, killPidFile, netnsUnavailable, startServerIn, type Link, type ServerProcess } from './helpers/netns.ts';

const unavailable = await netnsUnavailable();
async function missing(path: string): Promise<boolean> {
  return access(path).then(() => false, () => true);
}
const noBusybox = await missing('/bin/busybox') && await missing('/usr/bin/busybox');
const noDhclient = await missing('/sbin/dhclient') && await missing('/usr/sbin/dhclient');

const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

function subnet(link: Link, overrides: Partial<SubnetConfig> = {}): SubnetConfig {
  return {
    cidr: `${link.net}.0/24`,
    serverAddress: link.serverIp,
    router: link.serverIp,
    dnsServers: [`${link.net}.53`, `${link.net}.54`],
    domain: 'maas.test',
    searchDomains: ['maas.test', 'lab.maas.test'],
    ntpServers: [link.serverIp],
    mtu: 1400,
    leaseTime: 600,
    pools: [{ start: `${link.net}.100`, end: `${link.net}.150` }],
    ...overrides,
  };
}

async function setup(n: number, subnetOverrides: Partial<SubnetConfig> = {}, listen: ListenOptions = {}): Promise<{ link: Link; server: ServerProcess }> {
  const link = await createLink(n);
  cleanups.push(() => link.destroy());
  const config: DhcpConfig = { subnets: [subnet(link, subnetOverrides)] };
  const server = await startServerIn(link, config, listen);
  cleanups.push(() => server.stop());
  return { link, server };
}

/** Runs udhcpc once in the client namespace; returns the variables its script saw on "bound". */
async function udhcpc(link: Link, tries = 3): Promise<Record<string, string> | null> {
  const script = join(link.dir, 'udhcpc.sh');
  await writeFile(script, `#!/bin/sh\nenv > "${link.dir}/udhcpc.$1"\n`);
  await chmod(script, 0o755);
  const r = await link.inClient('busybox', ['udhcpc', '-i', link.clientIf, '-n', '-q', '-s', script, '-t', String(tries), '-T', '1', '-A', '1', '-O', 'search', '-O', 'mtu', '-O', 'ntpsrv'], 20_000);
  if (r.code !== 0) return null;
  const env = await readFile(join(link.dir, 'udhcpc.bound'), 'utf8');
  return Object.fromEntries(env.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

const broadcastModes: Array<[string, number, ListenOptions, boolean]> = [
  ['directed broadcast (default)', 1, {}, false],
  ['limited broadcast with a default route on the link', 2, { broadcast: 'limited' }, true],
];
for (const [name, n, listen, defaultRoute] of broadcastModes) {
  test(`udhcpc gets a lease with router, DNS, domain, search list and MTU — ${name}`, { skip: unavailable ?? false }, async () => {
    assert.ok(!noBusybox, 'busybox is not installed: apt-get install busybox-static');
    const { link, server } = await setup(n, {}, listen);
    if (defaultRoute) await link.inServer('ip', ['route', 'add', 'default', 'dev', link.serverIf]);
    const env = await udhcpc(link);
    assert.ok(env, `udhcpc got no lease; server errors: ${server.errors.join('; ')}`);
    assert.equal(env.ip, `${link.net}.100`);
    assert.equal(env.subnet, '255.255.255.0');
    assert.equal(env.router, link.serverIp);
    assert.equal(env.dns, `${link.net}.53 ${link.net}.54`);
    assert.equal(env.domain, 'maas.test');
    assert.equal(env.search, 'maas.test lab.maas.test');
    assert.equal(env.mtu, '1400');
    assert.equal(env.ntpsrv, link.serverIp);
    assert.equal(env.serverid, link.serverIp);
    assert.equal(env.lease, '600');
    const ev = await server.waitFor((e) => e.type === 'commit');
    assert.equal(ev.ip, env.ip);
  });
}

test('limited broadcast without a route for it fails (why directed broadcast is the default)', { skip: unavailable ?? false }, async () => {
  assert.ok(!noBusybox, 'busybox is not installed: apt-get install busybox-static');
  const { link, server } = await setup(3, {}, { broadcast: 'limited' });
  const env = await udhcpc(link, 2);
  assert.equal(env, null, 'no lease');
  assert.ok(server.errors.some((e) => /ENETUNREACH/.test(e)), `server errors: ${server.errors.join('; ')}`);
});

test('dhclient: lease, renew (unicast at T1), release', { skip: unavailable ?? false }, async () => {
  assert.ok(!noDhclient, 'dhclient is not installed: apt-get install isc-dhcp-client');
  const { link, server } = await setup(4, { leaseTime: 6 });
  const conf = join(link.dir, 'dhclient.conf');
  const leases = join(link.dir, 'dhclient.leases');
  const pidFile = join(link.dir, 'dhclient.pid');
  const log = join(link.dir, 'dhclient.log');
  const script = join(link.dir, 'dhclient-script.sh');
  await writeFile(conf, 'request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, domain-search, interface-mtu, ntp-servers;\n');
  // The script applies the address (RENEWING needs it to unicast) and logs what dhclient saw.
  await writeFile(script, [
    '#!/bin/sh',
    `echo "$reason ip=$new_ip_address router=$new_routers dns=$new_domain_name_servers search=$new_domain_search lease=$new_dhcp_lease_time" >> "${log}"`,
    'case "$reason" in',
    '  BOUND|REBOOT|RENEW|REBIND) ip addr replace "$new_ip_address/24" dev "$interface" ;;',
    '  RELEASE|EXPIRE|STOP) [ -n "$old_ip_address" ] && ip addr del "$old_ip_address/24" dev "$interface" ;;',
    'esac',
    'exit 0',
    '',
  ].join('\n'));
  await chmod(script, 0o755);
  const args = ['-d', '-v', '-1', '-cf', conf, '-lf', leases, '-pf', pidFile, '-sf', script, link.clientIf];
  const client = spawn('ip', ['netns', 'exec', link.clientNs, 'dhclient', ...args], { stdio: 'ignore' });
  const clientExit = new Promise((r) => client.once('exit', r));
  cleanups.push(async () => {
    if (client.exitCode === null && client.signalCode === null) { client.kill('SIGTERM'); await clientExit; }
  });

  const commit = await server.waitFor((e) => e.type === 'commit');
  assert.equal(commit.ip, `${link.net}.100`);
  const renew = await server.waitFor((e) => e.type === 'renew', 15_000);
  assert.equal(renew.ip, commit.ip);
  // The server has ACKed the renewal; dhclient runs its script a moment later. Wait for that line.
  let logText = await readFile(log, 'utf8');
  for (let i = 0; i < 50 && !/RENEW ip=/.test(logText); i++) {
    await new Promise((r) => setTimeout(r, 100));
    logText = await readFile(log, 'utf8');
  }
  // dhclient prints search domains fully qualified (with the root dot).
  const esc = (x: string): string => x.replace(/\./g, '\\.');
  assert.match(logText, new RegExp(`BOUND ip=${esc(commit.ip)} router=${esc(link.serverIp)} dns=${esc(link.net)}\\.53 ${esc(link.net)}\\.54 search=maas\\.test\\. lab\\.maas\\.test\\. lease=6`));
  assert.match(logText, /RENEW ip=/);

  const release = await link.inClient('dhclient', ['-r', '-v', '-cf', conf, '-lf', leases, '-pf', pidFile, '-sf', script, link.clientIf], 15_000);
  assert.equal(release.code, 0, release.stderr);
  const rel = await server.waitFor((e) => e.type === 'release');
  assert.equal(rel.ip, commit.ip);
  await killPidFile(pidFile);
  await clientExit;
});
