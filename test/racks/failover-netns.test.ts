/**
 * DHCP failover across processes: two real rack processes (`plinth rack run`), each in its own
 * network namespace, bridged with two client namespaces; the region runs in this test process. The
 * VLAN has primary = rack A, secondary = rack B. An ISC dhclient gets a lease from A (lower half of
 * the pool); A is SIGKILLed; the region sees its link gone and pushes the takeover to B; the client's
 * rebind (T2) is ACKed by B with the SAME address; a new busybox udhcpc client gets B's half.
 * (busybox udhcpc is not used for the rebind: it retries unicast to the dead server until its lease
 * has run out and broadcasts only then, when the address is no longer its to keep.)
 *
 * Network (helpers/two-racks.ts, shared with failover-vm.test.ts): namespace BR holds bridge br0
 * (10.215.<n>.254, the region's address for racks), racks at .1 and .2, clients unaddressed. Nothing is configured in the root namespace: BR's region address is
 * a small TCP forwarder (a node process in BR) to a Unix socket that this process relays to the
 * region's loopback port. Each rack runs under `unshare --uts` with its own host name (registration
 * tells racks apart by name). Needs root, `ip netns`, dhclient (isc-dhcp-client), busybox
 * (busybox-static) and unshare.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsUnavailable, run } from '../dhcp/helpers/netns.ts';
import { until } from '../link/helpers.ts';
import { Cleanups, startFailoverRacks, stop, topology } from './helpers/two-racks.ts';

const unavailable = await netnsUnavailable();
const topo = topology('pfo', ['c1', 'c2']);
const NET = topo.net;
const ns = { c1: topo.clients.c1, c2: topo.clients.c2 };

const cleanups = new Cleanups();
after(() => cleanups.run());

/** A udhcpc script that applies the address and logs what udhcpc saw. */
async function udhcpcScript(dir: string, name: string): Promise<{ script: string; log: string }> {
  const log = join(dir, `${name}.log`);
  const script = join(dir, `${name}.sh`);
  // Applies the address (renewals are unicast from it) and logs what udhcpc saw.
  await writeFile(script, [
    '#!/bin/sh',
    `echo "$1 ip=$ip serverid=$serverid lease=$lease" >> "${log}"`,
    'case "$1" in',
    '  bound|renew) ip addr replace "$ip/24" dev "$interface" ;;',
    '  deconfig) ip addr flush dev "$interface" ;;',
    'esac',
    'exit 0', ''].join('\n'));
  await chmod(script, 0o755);
  return { script, log };
}

const readLog = (p: string) => readFile(p, 'utf8').catch(() => '');

test('failover: kill the primary rack; the client keeps its address through the secondary; new clients get its half', { skip: unavailable ?? false, timeout: 150_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plinth-failover-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const { region, rackA, rackB, b } = await startFailoverRacks(topo, dir, cleanups);

  // Client 1 (ISC dhclient: it rebinds by broadcast at T2, RFC 2131 §4.4.5, and reports the
  // secondary's ACK as RENEW): a lease from A, in
  // the lower half; its renewals go to A while A lives.
  const c1 = { log: join(dir, 'c1.log'), script: join(dir, 'c1.sh'), conf: join(dir, 'c1.conf') };
  // Retransmit every 1-2 s: dhclient moves from unicast RENEWING to broadcast REBINDING only when it
  // retransmits, and its default backoff can step over the short T2..expiry window of a test lease.
  await writeFile(c1.conf, 'send dhcp-lease-time 20;\ninitial-interval 1;\nbackoff-cutoff 2;\nrequest subnet-mask, routers;\n');
  await writeFile(c1.script, [
    '#!/bin/sh',
    `echo "$reason ip=$new_ip_address serverid=$new_dhcp_server_identifier lease=$new_dhcp_lease_time" >> "${c1.log}"`,
    'case "$reason" in',
    '  BOUND|REBOOT|RENEW|REBIND) ip addr replace "$new_ip_address/24" dev "$interface" ;;',
    '  EXPIRE|FAIL|STOP|RELEASE) [ -n "$old_ip_address" ] && ip addr del "$old_ip_address/24" dev "$interface" ;;',
    'esac',
    'exit 0', ''].join('\n'));
  await chmod(c1.script, 0o755);
  const client1 = spawn('ip', ['netns', 'exec', ns.c1, 'dhclient', '-d', '-1', '-cf', c1.conf, '-lf', join(dir, 'c1.leases'), '-pf', join(dir, 'c1.pid'), '-sf', c1.script, 'eth0'], { stdio: 'ignore' });
  cleanups.push(() => stop(client1));
  await until(async () => /BOUND ip=/.test(await readLog(c1.log)), 40_000, 'client 1 bound');
  const bound = /BOUND ip=(\S+) serverid=(\S+) lease=(\d+)/.exec(await readLog(c1.log))!;
  const ip1 = bound[1];
  assert.equal(bound[2], `${NET}.1`, 'served by the primary');
  assert.equal(bound[3], '20');
  assert.ok(Number(ip1.split('.')[3]) >= 100 && Number(ip1.split('.')[3]) <= 149, `${ip1} in the primary's half`);
  // The region has A's lease, and B has been pushed it (the pusher runs every 200 ms).
  await until(async () => (await region.svc.db.query('select 1 from dhcp_leases where ip = $1', [ip1])).length === 1, 10_000, 'lease reported');
  await new Promise((r) => setTimeout(r, 600));

  const killedAt = Date.now();
  await stop(rackA.child, 'SIGKILL');
  const rebindLine = new RegExp(`(RENEW|REBIND) ip=\\S+ serverid=${NET.replace(/\./g, '\\.')}\\.2 `);
  await until(async () => rebindLine.test(await readLog(c1.log)), 30_000, 'client 1 rebound through B')
    .catch(async (err: Error) => { throw new Error(`${err.message}; client log:\n${await readLog(c1.log)}\nrack B:\n${rackB.log()}\nB's leases:\n${await readLog(join(dir, 'rack-b', 'dhcp-leases.jsonl'))}\nregion:\n${JSON.stringify(await region.svc.db.query('select * from dhcp_leases'))}`); });
  const log1 = await readLog(c1.log);
  const renewed = /(?:RENEW|REBIND) ip=(\S+) serverid=(\S+)/.exec(log1.split('\n').find((l) => rebindLine.test(l))!)!;
  assert.equal(renewed[1], ip1, `the same address, from the secondary; killed at ${killedAt}; client log:\n${log1}\nrack B:\n${rackB.log()}\nB's leases:\n${await readLog(join(dir, 'rack-b', 'dhcp-leases.jsonl'))}`);
  assert.doesNotMatch(log1, /EXPIRE|FAIL|PREINIT[\s\S]*PREINIT/, 'the client never lost its address');
  const takeoverMs = Date.now() - killedAt;

  // Client 2: a new client gets B's half.
  const c2 = await udhcpcScript(dir, 'c2');
  const r2 = await run('ip', ['netns', 'exec', ns.c2, 'busybox', 'udhcpc', '-n', '-q', '-i', 'eth0', '-s', c2.script, '-t', '5', '-T', '1', '-A', '1'], 30_000);
  assert.equal(r2.code, 0, r2.stderr);
  const b2 = /bound ip=(\S+) serverid=(\S+)/.exec(await readLog(c2.log))!;
  assert.equal(b2[2], `${NET}.2`);
  assert.ok(Number(b2[1].split('.')[3]) >= 150, `${b2[1]} in the secondary's half`);
  assert.notEqual(b2[1], ip1);
  // The region's view: one holder per address, the renewal recorded as B's.
  await until(async () => (await region.svc.db.query<{ rack: string }>('select rack from dhcp_leases where ip = $1', [ip1]))[0]?.rack === b, 10_000, 'B reported the renewal');
  const rows = await region.svc.db.query<{ ip: string; mac: string }>('select ip, mac from dhcp_leases');
  assert.equal(new Set(rows.map((r) => r.mac)).size, rows.length, 'no client holds two addresses');
  console.log(`# takeover: client renewed through the secondary ${takeoverMs} ms after the primary was killed`);
});
