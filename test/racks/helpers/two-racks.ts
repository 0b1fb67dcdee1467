/**
 * The two-rack failover topology of the rack tests: two real rack processes (`plinth rack run`),
 * each in its own network namespace, on one bridge with the test's clients; the region runs in the
 * test process. The VLAN has primary = rack A, secondary = rack B, a dynamic range .100-.199.
 *
 * Network: namespace BR holds bridge br0 (<net>.254, the region's address for racks; STP off,
 * forward delay 0 so a PXE client's first packets are not dropped), racks at .1 and .2 on veths,
 * client namespaces on veths, unaddressed. Nothing is configured in the root namespace: BR's region
 * address is a small TCP forwarder (a node process in BR) to a Unix socket that the test process
 * relays to the region's loopback port. Each rack runs under `unshare --uts` with its own host name
 * (registration tells racks apart by name). Everything started is undone by `Cleanups.run()`, by
 * PID and by namespace name.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attachRackEndpoint, dropLinksNotOn } from '../../../src/edges/rpc/endpoint.ts';
import { RackRegistry } from '../../../src/edges/rpc/registry.ts';
import { DhcpPusher } from '../../../src/edges/rpc/dhcp-push.ts';
import { linkPowerPort } from '../../../src/edges/rpc/power-port.ts';
import { ensureRackSecret } from '../../../src/services/racks/secret.ts';
import { startTestRegion } from '../../helpers/region.ts';
import { run, REPO } from '../../dhcp/helpers/netns.ts';
import { until, type LinkedRegion } from '../../link/helpers.ts';

/** Undo steps, run newest first; a step that fails or takes over 15 s is left behind so the rest still run. */
export class Cleanups {
  private list: Array<() => Promise<unknown>> = [];
  push(fn: () => Promise<unknown>): void { this.list.push(fn); }
  async run(): Promise<void> {
    for (const c of this.list.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([c().catch(() => undefined), new Promise((r) => { timer = setTimeout(r, 15_000); })]);
      clearTimeout(timer);
    }
    this.list = [];
  }
}

export interface Topology {
  /** The /24's first three octets, e.g. "10.215.170". */
  net: string;
  regionIp: string;
  ns: { br: string; a: string; b: string };
  /** Client namespaces by name, each with an unaddressed eth0 on the bridge. */
  clients: Record<string, string>;
}

/** Namespace names unique to this process (`prefix` tells the tests apart). */
export function topology(prefix: string, clients: string[] = []): Topology {
  const net = `10.215.${150 + (process.pid % 50)}`;
  const tag = `${process.pid % 100000}`;
  return {
    net, regionIp: `${net}.254`,
    ns: { br: `${prefix}-br-${tag}`, a: `${prefix}-a-${tag}`, b: `${prefix}-b-${tag}` },
    clients: Object.fromEntries(clients.map((c) => [c, `${prefix}-${c}-${tag}`])),
  };
}

export async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** br0 in BR; one veth per other namespace, plugged into br0; the racks' ends addressed .1 and .2. */
export async function buildNetwork(t: Topology, cleanups: Cleanups): Promise<void> {
  const all = [t.ns.br, t.ns.a, t.ns.b, ...Object.values(t.clients)];
  cleanups.push(async () => { for (const n of all) await run('ip', ['netns', 'del', n]); });
  for (const n of all) { await must('ip', ['netns', 'add', n]); await must('ip', ['-n', n, 'link', 'set', 'lo', 'up']); }
  await must('ip', ['-n', t.ns.br, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await must('ip', ['-n', t.ns.br, 'addr', 'add', `${t.regionIp}/24`, 'brd', '+', 'dev', 'br0']);
  await must('ip', ['-n', t.ns.br, 'link', 'set', 'br0', 'up']);
  const ends: Array<[string, string | null]> = [[t.ns.a, `${t.net}.1/24`], [t.ns.b, `${t.net}.2/24`], ...Object.values(t.clients).map((n): [string, null] => [n, null])];
  for (const [i, [n, addr]] of ends.entries()) {
    const port = `p${i}`;
    await must('ip', ['link', 'add', port, 'netns', t.ns.br, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n]);
    await must('ip', ['-n', t.ns.br, 'link', 'set', port, 'master', 'br0', 'up']);
    if (addr) await must('ip', ['-n', n, 'addr', 'add', addr, 'brd', '+', 'dev', 'eth0']);
    await must('ip', ['-n', n, 'link', 'set', 'eth0', 'up']);
  }
}

/** REGION_IP:5240 in BR → Unix socket → the region's loopback port. */
export async function exposeRegion(region: LinkedRegion, dir: string, t: Topology, cleanups: Cleanups): Promise<void> {
  const sock = join(dir, 'region.sock');
  const port = Number(new URL(region.origin).port);
  // Each side's close destroys the other: a pipe whose destination closed first leaves its source
  // paused, never reading its EOF, and server.close() would then wait for it forever.
  const open = new Set<Socket>();
  const relay: Server = createServer((c) => {
    const up = createConnection({ host: '127.0.0.1', port });
    open.add(c);
    c.pipe(up).pipe(c);
    c.on('close', () => { open.delete(c); up.destroy(); });
    up.on('close', () => c.destroy());
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => relay.listen(sock, r));
  cleanups.push(() => new Promise<void>((r) => { relay.close(() => r()); for (const c of open) c.destroy(); }));
  const script = `const net=require('net');net.createServer((c)=>{const u=net.createConnection(${JSON.stringify(sock)});c.pipe(u).pipe(c);c.on('close',()=>u.destroy());u.on('close',()=>c.destroy());c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());}).listen(5240,${JSON.stringify(t.regionIp)},()=>console.log('ready'));`;
  const fwd = spawn('ip', ['netns', 'exec', t.ns.br, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => stop(fwd));
  await new Promise<void>((resolve, reject) => { fwd.stdout!.once('data', () => resolve()); fwd.once('exit', (c) => reject(new Error(`forwarder exited ${c}`))); });
}

/** Signals the child by its PID (SIGKILL after 5 s) and waits for its exit. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

export interface Rack { child: ChildProcess; dataDir: string; log: () => string }

/** `plinth rack run` in its namespace under its own host name (ip netns exec, unshare, sh and bin/plinth all exec: the PID is node's). */
export async function startRack(n: string, hostname: string, dir: string, regionIp: string, secret: string, cleanups: Cleanups): Promise<Rack> {
  const dataDir = join(dir, hostname);
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, 'rack.json'), JSON.stringify({ url: `http://${regionIp}:5240/MAAS/`, secret }), { mode: 0o600 });
  const child = spawn('ip', ['netns', 'exec', n, 'unshare', '--uts', 'sh', '-c', `hostname ${hostname} && exec "$0" rack run --data-dir "$1" --log-level info`, join(REPO, 'bin/plinth'), dataDir],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  cleanups.push(() => stop(child));
  return { child, dataDir, log: () => out };
}

/**
 * The region of test/link/helpers.ts's `startLinkedRegion` (endpoint, registry, DHCP pusher every
 * 200 ms, link power port), with a heartbeat that tolerates a loaded machine: a link is dropped
 * after 5 s of silence, not 0.8 s — a test process busy with PGlite, or racks starved by a TCG VM,
 * must not make the region declare a live primary gone. A killed rack is still seen at once: its
 * TCP connection closes.
 */
export async function startRegion(): Promise<LinkedRegion> {
  const region = await startTestRegion(process.env.PLINTH_LINK_BACKEND === 'postgres' ? 'postgres' : 'pglite');
  const registry = new RackRegistry();
  region.svc.power = linkPowerPort(registry, { timeoutMs: 5000 });
  const endpoint = await attachRackEndpoint({ svc: region.svc, server: region.app.server, registry, heartbeatMs: 500, deadMs: 5000, callTimeoutMs: 10_000, handshakeTimeoutMs: 5000 });
  region.svc.rackLinks = { drop: (sid, reason) => registry.drop(sid, 1001, reason), secretRotated: (s) => dropLinksNotOn(registry, s) };
  const pusher = new DhcpPusher(region.svc, registry, { intervalMs: 200 }).start();
  const secret = (await ensureRackSecret(region.svc)).secret;
  const closeLinks = async () => { await pusher.stop(); await endpoint.close(); };
  return {
    ...region, registry, endpoint, pusher, secret, rpcUrl: `${region.origin}/MAAS/`, closeLinks,
    async close() { await closeLinks(); await region.close(); },
  };
}

export interface FailoverRacks {
  region: LinkedRegion;
  rackA: Rack;
  rackB: Rack;
  /** The racks' system_ids. */
  a: string;
  b: string;
  subnet: { id: number; cidr: string; vlan: { id: number } };
}

/**
 * Region, network and both racks, linked; then the racks' subnet gets the dynamic range and DHCP
 * failover (A primary, B secondary). `prepare` runs on each rack's data directory before it starts.
 */
export async function startFailoverRacks(t: Topology, dir: string, cleanups: Cleanups, prepare?: (dataDir: string) => Promise<void>): Promise<FailoverRacks> {
  const region = await startRegion();
  cleanups.push(() => region.close());
  await buildNetwork(t, cleanups);
  await exposeRegion(region, dir, t, cleanups);
  if (prepare) for (const h of ['rack-a', 'rack-b']) { await mkdir(join(dir, h), { recursive: true }); await prepare(join(dir, h)); }
  const rackA = await startRack(t.ns.a, 'rack-a', dir, t.regionIp, region.secret, cleanups);
  const rackB = await startRack(t.ns.b, 'rack-b', dir, t.regionIp, region.secret, cleanups);
  await until(() => region.registry.list().length === 2, 40_000, 'both racks linked')
    .catch((err: Error) => { throw new Error(`${err.message}; rack A:\n${rackA.log()}\nrack B:\n${rackB.log()}`); });
  const sid = (h: string) => region.registry.list().find((r) => r.hostname === h)!.systemId;
  const [a, b] = [sid('rack-a'), sid('rack-b')];

  const subnet = (await region.api('GET', 'subnets/')).json().find((s: { cidr: string }) => s.cidr === `${t.net}.0/24`);
  assert.ok(subnet, 'registration created the racks\' subnet');
  { const x = await region.api('POST', 'ipranges/', [['subnet', String(subnet.id)], ['type', 'dynamic'], ['start_ip', `${t.net}.100`], ['end_ip', `${t.net}.199`]]); assert.equal(x.status, 200, x.text); }
  { const x = await region.api('PUT', `vlans/${subnet.vlan.id}/`, [['dhcp_on', 'true'], ['primary_rack', a], ['secondary_rack', b]]); assert.equal(x.status, 200, x.text); }
  return { region, rackA, rackB, a, b, subnet };
}

/** Whether the rack has applied the failover VLAN's DHCP service (its link cache holds the last push). */
export async function failoverConfigured(dataDir: string): Promise<boolean> {
  try {
    const cache = JSON.parse(await readFile(join(dataDir, 'link-cache.json'), 'utf8')) as { dhcp?: { vlans?: Array<{ peer: unknown; subnets: Array<{ pools: unknown[] }> }> } };
    return cache.dhcp?.vlans?.some((v) => v.peer !== null && v.subnets.some((s) => s.pools.length > 0)) ?? false;
  } catch {
    return false;
  }
}
