/**
 * Real Debian DHCP clients against a failover secondary alone on its link: its subnet is in
 * standby (the region never said the primary is gone), there is no primary and no region. The
 * secondary must take over per client on its own (src/edges/rack/dhcp/standby.ts) and give an
 * address from its own half of the pool:
 * - ISC dhclient (isc-dhcp-client) and busybox udhcpc (1.35, Debian 12) both send the elapsed
 *   seconds in `secs` (older udhcpc sent 0: the server's count of retries, covered with crafted
 *   packets in failover-standby.test.ts, would let those in at the same moment).
 * Each side in its own network namespace joined by a veth (as netns.test.ts). Needs root and
 * `ip netns` (skipped otherwise); a missing client fails the test, naming the package.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { splitPools } from '../../src/domain/network/dhcp-failover.ts';
import type { DhcpConfig } from '../../src/edges/rack/dhcp/config.ts';
import { createLink, killPidFile, netnsUnavailable, startServerIn, type Link, type ServerProcess } from './helpers/netns.ts';

const unavailable = await netnsUnavailable();
const missing = (path: string): Promise<boolean> => access(path).then(() => false, () => true);
const noBusybox = await missing('/bin/busybox') && await missing('/usr/bin/busybox');
const noDhclient = await missing('/sbin/dhclient') && await missing('/usr/sbin/dhclient');

const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const num = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** A link whose only DHCP server is a standby secondary: pool .100-.199, its half .150-.199. */
async function standbyAlone(n: number): Promise<{ link: Link; server: ServerProcess; half: { start: string; end: string } }> {
  const link = await createLink(n);
  cleanups.push(() => link.destroy());
  const pools = [{ start: `${link.net}.100`, end: `${link.net}.199` }];
  const half = splitPools(pools, 'secondary');
  assert.deepEqual(half, [{ start: `${link.net}.150`, end: `${link.net}.199` }]);
  const config: DhcpConfig = {
    subnets: [{ cidr: `${link.net}.0/24`, serverAddress: link.serverIp, router: link.serverIp, leaseTime: 600, pools, allocate: half, standby: true }],
  };
  const server = await startServerIn(link, config);
  cleanups.push(() => server.stop());
  return { link, server, half: half[0] };
}

function inHalf(ip: string, half: { start: string; end: string }): boolean {
  return num(ip) >= num(half.start) && num(ip) <= num(half.end);
}

test('dhclient gets an address from a standby secondary alone (no primary, no region)', { skip: unavailable ?? false }, async () => {
  assert.ok(!noDhclient, 'dhclient is not installed: apt-get install isc-dhcp-client');
  const { link, server, half } = await standbyAlone(21);
  const conf = join(link.dir, 'dhclient.conf');
  const leases = join(link.dir, 'dhclient.leases');
  const pidFile = join(link.dir, 'dhclient.pid');
  const log = join(link.dir, 'dhclient.log');
  const script = join(link.dir, 'dhclient-script.sh');
  await writeFile(conf, 'request subnet-mask, broadcast-address, routers;\n');
  await writeFile(script, [
    '#!/bin/sh',
    `echo "$reason ip=$new_ip_address server=$new_dhcp_server_identifier" >> "${log}"`,
    'case "$reason" in BOUND|REBOOT|RENEW|REBIND) ip addr replace "$new_ip_address/24" dev "$interface" ;; esac',
    'exit 0',
    '',
  ].join('\n'));
  await chmod(script, 0o755);
  const started = Date.now();
  const client = spawn('ip', ['netns', 'exec', link.clientNs, 'dhclient', '-d', '-v', '-1', '-cf', conf, '-lf', leases, '-pf', pidFile, '-sf', script, link.clientIf], { stdio: 'ignore' });
  const clientExit = new Promise((r) => client.once('exit', r));
  cleanups.push(async () => {
    await killPidFile(pidFile);
    if (client.exitCode === null && client.signalCode === null) { client.kill('SIGTERM'); await clientExit; }
  });

  const commit = await server.waitFor((e) => e.type === 'commit', 45_000);
  const took = Date.now() - started;
  assert.ok(inHalf(commit.ip, half), `${commit.ip} is in the secondary's half`);
  assert.equal(commit.ip, half.start, "the lowest address of the secondary's half");
  const first = server.takeovers.find((t) => t.first);
  assert.ok(first, 'the server reported its takeover');
  assert.equal(first.reason, 'secs', 'dhclient counts elapsed seconds in secs');
  assert.equal(first.ip, commit.ip);
  assert.ok(took >= 7000, `not before the client had waited the threshold (${took} ms)`);
  let logText = '';
  for (let i = 0; i < 50 && !/BOUND ip=/.test(logText); i++) {
    await new Promise((r) => setTimeout(r, 100));
    logText = await readFile(log, 'utf8').catch(() => '');
  }
  assert.match(logText, new RegExp(`BOUND ip=${commit.ip.replace(/\./g, '\\.')} server=${link.serverIp.replace(/\./g, '\\.')}`));
});

test('udhcpc gets an address from a standby secondary alone, once it has retried for 8 s', { skip: unavailable ?? false }, async () => {
  assert.ok(!noBusybox, 'busybox is not installed: apt-get install busybox-static');
  const { link, server, half } = await standbyAlone(22);
  const script = join(link.dir, 'udhcpc.sh');
  await writeFile(script, `#!/bin/sh\nenv > "${link.dir}/udhcpc.$1"\n`);
  await chmod(script, 0o755);
  // DISCOVERs every 2 s, up to 10: the 5th, 8 s after the first, is answered.
  const started = Date.now();
  const r = await link.inClient('busybox', ['udhcpc', '-i', link.clientIf, '-n', '-q', '-s', script, '-t', '10', '-T', '2', '-A', '1'], 40_000);
  assert.equal(r.code, 0, `udhcpc got no lease: ${r.stderr.slice(-500)}; server errors: ${server.errors.join('; ')}`);
  const took = Date.now() - started;
  const env = await readFile(join(link.dir, 'udhcpc.bound'), 'utf8');
  const ip = /^ip=(.*)$/m.exec(env)?.[1] ?? '';
  assert.ok(inHalf(ip, half), `${ip} is in the secondary's half`);
  const first = server.takeovers.find((t) => t.first);
  assert.ok(first, 'the server reported its takeover');
  assert.ok(first.reason === 'secs' || first.reason === 'retries', first.reason);
  assert.ok(took >= 7000, `not before the client had waited the threshold (${took} ms)`);
  assert.equal((await server.waitFor((e) => e.type === 'commit')).ip, ip);
});
