/**
 * DHCP benchmark: DISCOVER→OFFER→REQUEST→ACK exchanges per second for 10,000 distinct client MACs,
 * against Plinth's DhcpServer and, side by side, Debian's dnsmasq.
 *
 * Both servers run the same way: as a process inside a server network namespace, on a veth whose
 * peer sits in a client namespace (10.213.0.0/16 exists only inside them). dnsmasq uses raw
 * sockets and IP_PKTINFO for unrelayed clients, so the load generator plays a relay agent
 * (giaddr 10.213.0.2, RFC 2131 §4.1): both servers answer it by plain unicast UDP, which is fair
 * and needs no raw sockets on the client side. The generator keeps WINDOW exchanges in flight,
 * retransmits after 1 s (up to 3 times) and checks every ACK matches its OFFER and no address is
 * given twice. dnsmasq runs with --no-ping because Plinth does no ping check either.
 *
 *   npx tsx bench/dhcp.ts            (root; needs iproute2 and dnsmasq-base)
 *   CLIENTS=2000 WINDOW=32 npx tsx bench/dhcp.ts
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOOTREQUEST, MessageType, Opt } from '../src/edges/rack/dhcp/codes.ts';
import { decodePacket, emptyPacket, encodePacket } from '../src/edges/rack/dhcp/packet.ts';
import type { DhcpConfig } from '../src/edges/rack/dhcp/config.ts';
import { createLink, netnsUnavailable, run, startServerIn, type Link } from '../test/dhcp/helpers/netns.ts';

const CLIENTS = Number(process.env.CLIENTS ?? 10_000);
const WINDOW = Number(process.env.WINDOW ?? 64);
const SERVER_IP = '10.213.0.1';
const RELAY_IP = '10.213.0.2';
const POOL = { start: '10.213.1.0', end: '10.213.60.255' };

interface RunResult { ok: number; failed: number; retries: number; seconds: number; p50: number; p99: number; duplicates: number }

// ---------------------------------------------------------------- load generator (client mode)

function request(type: number, i: number, extra: Array<[number, Buffer]> = []): Buffer {
  const p = emptyPacket(BOOTREQUEST);
  p.xid = (type << 24) | i;
  p.hops = 1;
  p.giaddr = RELAY_IP;
  Buffer.from([0x02, 0xbe, 0x00, (i >> 16) & 255, (i >> 8) & 255, i & 255]).copy(p.chaddr);
  p.options.set(Opt.MESSAGE_TYPE, Buffer.from([type]));
  for (const [code, value] of extra) p.options.set(code, value);
  p.options.set(Opt.PARAM_REQUEST_LIST, Buffer.from([1, 3, 6, 15, 51, 54]));
  return encodePacket(p).bytes;
}

async function generateLoad(serverIp: string): Promise<RunResult> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(67, RELAY_IP, resolve));
  const started = new Map<number, number>();
  const pending = new Map<number, { bytes: Buffer; sentAt: number; tries: number; stage: 'offer' | 'ack' }>();
  const offered = new Map<number, string>();
  const leased = new Map<string, number>();
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  let retries = 0;
  let duplicates = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => { finish = r; });
  const send = (i: number, bytes: Buffer, stage: 'offer' | 'ack'): void => {
    pending.set(i, { bytes, sentAt: Date.now(), tries: 0, stage });
    socket.send(bytes, 67, serverIp);
  };
  const startNext = (): void => {
    if (next >= CLIENTS) { if (pending.size === 0) finish(); return; }
    const i = next++;
    started.set(i, performance.now());
    send(i, request(MessageType.DISCOVER, i), 'offer');
  };
  socket.on('message', (msg) => {
    let pkt;
    try { pkt = decodePacket(msg); } catch { return; }
    const i = pkt.xid & 0xffffff;
    const type = pkt.options.get(Opt.MESSAGE_TYPE)?.[0];
    const p = pending.get(i);
    if (!p) return;
    if (type === MessageType.OFFER && p.stage === 'offer') {
      offered.set(i, pkt.yiaddr);
      const serverId = pkt.options.get(Opt.SERVER_ID) ?? Buffer.from(serverIp.split('.').map(Number));
      const ip = Buffer.from(pkt.yiaddr.split('.').map(Number));
      send(i, request(MessageType.REQUEST, i, [[Opt.SERVER_ID, serverId], [Opt.REQUESTED_IP, ip]]), 'ack');
    } else if (type === MessageType.ACK && p.stage === 'ack') {
      pending.delete(i);
      if (pkt.yiaddr !== offered.get(i)) failed += 1;
      else {
        const owner = leased.get(pkt.yiaddr);
        if (owner !== undefined && owner !== i) duplicates += 1;
        leased.set(pkt.yiaddr, i);
        ok += 1;
        latencies.push(performance.now() - started.get(i)!);
      }
      startNext();
    } else if (type === MessageType.NAK) {
      pending.delete(i);
      failed += 1;
      startNext();
    }
  });
  const timer = setInterval(() => {
    const now = Date.now();
    for (const [i, p] of pending) {
      if (now - p.sentAt < 1000) continue;
      if (p.tries >= 3) { pending.delete(i); failed += 1; startNext(); continue; }
      p.tries += 1;
      p.sentAt = now;
      retries += 1;
      socket.send(p.bytes, 67, serverIp);
    }
  }, 100);
  const t0 = performance.now();
  for (let k = 0; k < WINDOW; k += 1) startNext();
  await done;
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  socket.close();
  latencies.sort((a, b) => a - b);
  const q = (f: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * f))] ?? NaN;
  return { ok, failed, retries, seconds, p50: q(0.5), p99: q(0.99), duplicates };
}

// ---------------------------------------------------------------- orchestration (root namespace)

const SELF = fileURLToPath(import.meta.url);
const REPO = fileURLToPath(new URL('../', import.meta.url));

function runClient(link: Link): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', link.clientNs, process.execPath, '--import', 'tsx', SELF, '--generate', SERVER_IP], {
      cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, CLIENTS: String(CLIENTS), WINDOW: String(WINDOW) },
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => {
      if (code !== 0) { reject(new Error(`load generator exited ${code}`)); return; }
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as RunResult);
    });
  });
}

function plinthConfig(): DhcpConfig {
  return {
    subnets: [{ cidr: '10.213.0.0/16', serverAddress: SERVER_IP, router: SERVER_IP, dnsServers: [SERVER_IP], domain: 'bench.test', leaseTime: 43_200, pools: [POOL] }],
  };
}

async function benchPlinth(link: Link, leaseFile: string | undefined): Promise<RunResult> {
  const server = await startServerIn(link, plinthConfig(), {}, leaseFile);
  try {
    return await runClient(link);
  } finally {
    await server.stop();
  }
}

async function benchDnsmasq(link: Link, withLeaseFile: boolean): Promise<RunResult> {
  const leaseFile = join(link.dir, 'dnsmasq.leases');
  const leaseArgs = withLeaseFile ? [`--dhcp-leasefile=${leaseFile}`] : ['--leasefile-ro'];
  const child = spawn('ip', ['netns', 'exec', link.serverNs, 'dnsmasq', '--no-daemon', '--conf-file=/dev/null', '--port=0',
    `--dhcp-range=${POOL.start},${POOL.end},255.255.0.0,12h`, ...leaseArgs, '--dhcp-authoritative',
    '--dhcp-lease-max=50000', '--no-ping', '--quiet-dhcp', '--log-facility=-', '--user=root', '--pid-file=',
    `--dhcp-option=option:router,${SERVER_IP}`, `--dhcp-option=option:dns-server,${SERVER_IP}`, '--domain=bench.test'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    // Wait until it listens on 67 inside the namespace.
    for (let i = 0; i < 50; i += 1) {
      const ss = await link.inServer('ss', ['-ulnH', 'sport = :67']);
      if (ss.stdout.includes(':67')) break;
      if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return await runClient(link);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

function describe(name: string, r: RunResult): string {
  const rate = r.ok / r.seconds;
  return `${name.padEnd(34)} ${String(r.ok).padStart(6)} ok ${String(r.failed).padStart(4)} failed ${String(r.retries).padStart(5)} retries  ${r.seconds.toFixed(2).padStart(7)} s  ${rate.toFixed(0).padStart(6)} exchanges/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms${r.duplicates ? `  DUPLICATES ${r.duplicates}` : ''}`;
}

async function main(): Promise<void> {
  const why = await netnsUnavailable();
  if (why) throw new Error(`cannot benchmark: ${why}`);
  const dnsmasq = await run('dnsmasq', ['--version']);
  if (dnsmasq.code !== 0) throw new Error('dnsmasq not installed (apt-get install dnsmasq-base)');
  const version = dnsmasq.stdout.split('\n')[0];
  console.log(`DHCP benchmark: ${CLIENTS} clients (distinct MACs), ${WINDOW} exchanges in flight, relayed via ${RELAY_IP}`);
  const results: Array<[string, RunResult]> = [];
  // A fresh link per run: no state carried between servers.
  const runs: Array<[string, (link: Link) => Promise<RunResult>]> = [
    ['plinth (file leases, fsync)', (link) => benchPlinth(link, join(link.dir, 'plinth.leases'))],
    ['plinth (memory leases)', (link) => benchPlinth(link, undefined)],
    [`${version.replace(/\s+Copyright.*/, '')} (lease file)`, (link) => benchDnsmasq(link, true)],
    [`${version.replace(/\s+Copyright.*/, '')} (--leasefile-ro)`, (link) => benchDnsmasq(link, false)],
  ];
  for (const [name, fn] of runs) {
    const link = await createLink(0, { serverCidr: `${SERVER_IP}/16`, clientCidr: `${RELAY_IP}/16` });
    try {
      const r = await fn(link);
      results.push([name, r]);
      console.log(describe(name, r));
    } finally {
      await link.destroy();
    }
  }
  const rate = (r: RunResult): number => r.ok / r.seconds;
  const [plinthFile, plinthMem, dnsFile, dnsMem] = results.map(([, r]) => rate(r));
  const x = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
  console.log(`ratio with lease file: plinth/dnsmasq ${x(plinthFile, dnsFile)}   in memory: plinth/dnsmasq ${x(plinthMem, dnsMem)}`);
  const failures = results.reduce((n, [, r]) => n + r.failed + r.duplicates, 0);
  console.log(`SUMMARY dhcp ${CLIENTS} DORA: plinth ${plinthFile.toFixed(0)}/s vs dnsmasq ${dnsFile.toFixed(0)}/s with lease files (${x(plinthFile, dnsFile)}), ${plinthMem.toFixed(0)}/s vs ${dnsMem.toFixed(0)}/s in memory (${x(plinthMem, dnsMem)}), ${failures} failed/duplicate exchanges`);
}

if (process.argv[2] === '--generate') {
  generateLoad(process.argv[3]).then((r) => console.log(JSON.stringify(r)), (err: Error) => { console.error(err); process.exit(1); });
} else {
  main().catch((err: Error) => { console.error(err.message); process.exit(1); });
}
