/**
 * DHCP failover across processes: two real rack processes (`plinth rack run`), each in its own
 * network namespace, bridged with two client namespaces; the region runs in this test process. The
 * VLAN has primary = rack A, secondary = rack B. An ISC dhclient gets a lease from A (lower half of
 * the pool); A is SIGKILLed; the region sees its link gone and pushes the takeover to B; the client's
 * rebind (T2) is ACKed by B with the SAME address; a new busybox udhcpc client gets B's half.
 * (busybox udhcpc is not used for the rebind: it retries unicast to the dead server until its lease
 * has run out and broadcasts only then, when the address is no longer its to keep.)
 *
 * Network: namespace BR holds bridge br0 (10.215.<n>.254, the region's address for racks), racks at
 * .1 and .2, clients unaddressed. Nothing is configured in the root namespace: BR's region address is
 * a small TCP forwarder (a node process in BR) to a Unix socket that this process relays to the
 * region's loopback port. Each rack runs under `unshare --uts` with its own host name (registration
 * tells racks apart by name). Needs root, `ip netns`, dhclient (isc-dhcp-client), busybox
 * (busybox-static) and unshare.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server } from 'node:net';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { netnsUnavailable, run, REPO } from '../dhcp/helpers/netns.ts';
import { startLinkedRegion, until, type LinkedRegion } from '../link/helpers.ts';

const unavailable = await netnsUnavailable();
const N = 150 + (process.pid % 50);
const NET = `10.215.${N}`;
const REGION_IP = `${NET}.254`;
const tag = `${process.pid % 100000}`;
const ns = { br: `pfo-br-${tag}`, a: `pfo-a-${tag}`, b: `pfo-b-${tag}`, c1: `pfo-c1-${tag}`, c2: `pfo-c2-${tag}` };

const cleanups: Array<() => Promise<void>> = [];
after(async () => { for (const c of cleanups.reverse()) await c().catch(() => undefined); });

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** br0 in BR; one veth per other namespace, plugged into br0; `addr` on the namespace end if given. */
async function buildNetwork(): Promise<void> {
  cleanups.push(async () => { for (const n of Object.values(ns)) await run('ip', ['netns', 'del', n]); });
  for (const n of Object.values(ns)) { await must('ip', ['netns', 'add', n]); await must('ip', ['-n', n, 'link', 'set', 'lo', 'up']); }
  await must('ip', ['-n', ns.br, 'link', 'add', 'br0', 'type', 'bridge']);
  await must('ip', ['-n', ns.br, 'addr', 'add', `${REGION_IP}/24`, 'brd', '+', 'dev', 'br0']);
  await must('ip', ['-n', ns.br, 'link', 'set', 'br0', 'up']);
  const ends: Array<[string, string, string | null]> = [[ns.a, 'eth0', `${NET}.1/24`], [ns.b, 'eth0', `${NET}.2/24`], [ns.c1, 'eth0', null], [ns.c2, 'eth0', null]];
  for (const [i, [n, ifname, addr]] of ends.entries()) {
    const port = `p${i}`;
    await must('ip', ['link', 'add', port, 'netns', ns.br, 'type', 'veth', 'peer', 'name', ifname, 'netns', n]);
    await must('ip', ['-n', ns.br, 'link', 'set', port, 'master', 'br0', 'up']);
    if (addr) await must('ip', ['-n', n, 'addr', 'add', addr, 'brd', '+', 'dev', ifname]);
    await must('ip', ['-n', n, 'link', 'set', ifname, 'up']);
  }
}

/** REGION_IP:5240 in BR → Unix socket → the region's loopback port. */
async function exposeRegion(region: LinkedRegion, dir: string): Promise<void> {
  const sock = join(dir, 'region.sock');
  const port = Number(new URL(region.origin).port);
  const relay: Server = createServer((c) => { const up = createConnection({ host: '127.0.0.1', port }); c.pipe(up).pipe(c); c.on('error', () => up.destroy()); up.on('error', () => c.destroy()); });
  await new Promise<void>((r) => relay.listen(sock, r));
  cleanups.push(() => new Promise<void>((r) => relay.close(() => r())));
  const script = `const net=require('net');net.createServer((c)=>{const u=net.createConnection(${JSON.stringify(sock)});c.pipe(u).pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());}).listen(5240,${JSON.stringify(REGION_IP)},()=>console.log('ready'));`;
  const fwd = spawn('ip', ['netns', 'exec', ns.br, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => stop(fwd));
  await new Promise<void>((resolve, reject) => { fwd.stdout!.once('data', () => resolve()); fwd.once('exit', (c) => reject(new Error(`forwarder exited ${c}`))); });
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/** `plinth rack run` in its namespace under its own host name (ip netns exec, unshare, sh and bin/plinth all exec: the PID is node's). */
async function startRack(n: string, hostname: string, dir: string, secret: string): Promise<{ child: ChildProcess; log: () => string }> {
  const dataDir = join(dir, hostname);
  await must('mkdir', ['-p', dataDir]);
  await writeFile(join(dataDir, 'rack.json'), JSON.stringify({ url: `http://${REGION_IP}:5240/MAAS/`, secret }), { mode: 0o600 });
  const child = spawn('ip', ['netns', 'exec', n, 'unshare', '--uts', 'sh', '-c', `hostname ${hostname} && exec "$0" rack run --data-dir "$1" --log-level info`, join(REPO, 'bin/plinth'), dataDir],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  cleanups.push(() => stop(child));
  return { child, log: () => out };
}

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
  const region = await startLinkedRegion();
  cleanups.push(() => region.close());
  await buildNetwork();
  await exposeRegion(region, dir);

  const rackA = await startRack(ns.a, 'rack-a', dir, region.secret);
  const rackB = await startRack(ns.b, 'rack-b', dir, region.secret);
  await until(() => region.registry.list().length === 2, 40_000, 'both racks linked')
    .catch(async (err: Error) => { throw new Error(`${err.message}; rack A:\n${rackA.log()}\nrack B:\n${rackB.log()}`); });
  const sid = (h: string) => region.registry.list().find((r) => r.hostname === h)!.systemId;
  const [a, b] = [sid('rack-a'), sid('rack-b')];

  const subnet = (await region.api('GET', 'subnets/')).json().find((s: { cidr: string }) => s.cidr === `${NET}.0/24`);
  assert.ok(subnet, 'registration created the racks\' subnet');
  const vlanId = subnet.vlan.id as number;
  { const x = await region.api('POST', 'ipranges/', [['subnet', String(subnet.id)], ['type', 'dynamic'], ['start_ip', `${NET}.100`], ['end_ip', `${NET}.199`]]); assert.equal(x.status, 200, x.text); }
  { const x = await region.api('PUT', `vlans/${vlanId}/`, [['dhcp_on', 'true'], ['primary_rack', a], ['secondary_rack', b]]); assert.equal(x.status, 200, x.text); }

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
