/**
 * TFTP benchmark: N concurrent downloads of a 1 MiB file over loopback, against Plinth's TftpServer
 * and, side by side, Debian's tftpd-hpa (`in.tftpd`, package tftpd-hpa), both driven by the same
 * client (test/tftp/client.ts). Each server runs in its own process; this process is only the client.
 *
 *   npx tsx bench/tftp.ts [--concurrency 50,200] [--size 1048576] [--file-cache-mib 64]
 *
 * Plinth runs with its defaults, so the file is served from its packet cache (packet-cache.ts: read
 * once, then ready DATA packets); `--file-cache-mib 0` measures it streaming the file per transfer
 * as in.tftpd does (from the page cache either way).
 * in.tftpd runs in the foreground (`--foreground --address 127.0.0.1:PORT --secure DIR`), with its
 * block size capped at 1468 like ours; it is stopped by PID at the end. Without in.tftpd (or without
 * root, which its --secure chroot needs) only Plinth is measured. Besides throughput (which one
 * Node client process may bound for both), each server's CPU time is read from /proc — for in.tftpd
 * including the children it forks per transfer (see cpuMeter). Prints a table, the ratios, and a
 * one-line summary last.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { directoryBackend } from '../src/edges/rack/tftp/backend.ts';
import type { OptionPair } from '../src/edges/rack/tftp/packet.ts';
import { TftpServer } from '../src/edges/rack/tftp/server.ts';
import { tftpGet } from '../test/tftp/client.ts';

const IN_TFTPD = '/usr/sbin/in.tftpd';
const FILE = 'bench.bin';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** Child mode: serve `dir` with TftpServer on a random port, print the port, stop on SIGTERM. */
async function serve(dir: string, cacheMib: string | undefined): Promise<void> {
  const server = new TftpServer({ backend: directoryBackend(dir), fileCacheBytes: cacheMib === undefined ? undefined : Number(cacheMib) * 1024 * 1024 });
  const { port } = await server.listen({ address: '127.0.0.1', port: 0 });
  process.stdout.write(`${port}\n`);
  process.once('SIGTERM', () => { void server.close().then(() => process.exit(0)); });
}

function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

function startPlinth(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const cache = process.argv.includes('--file-cache-mib') ? [arg('file-cache-mib', '64')] : [];
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', dir, ...cache], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`plinth server exited (${code})`)));
    child.stdout?.once('data', (chunk: Buffer) => resolve({ child, port: Number(chunk.toString().trim()) }));
  });
}

async function startTftpdHpa(dir: string): Promise<{ child: ChildProcess; port: number } | string> {
  if (!existsSync(IN_TFTPD)) return 'in.tftpd not installed (apt-get install tftpd-hpa)';
  if (process.getuid?.() !== 0) return 'in.tftpd --secure needs root (chroot)';
  const port = await freeUdpPort();
  const child = spawn(IN_TFTPD, ['--foreground', '--address', `127.0.0.1:${port}`, '--secure', '--blocksize', '1468', dir], { stdio: 'ignore' });
  let exited = false;
  child.once('exit', () => { exited = true; });
  for (let i = 0; i < 50 && !exited; i++) {
    const ok = await tftpGet({ port, file: FILE, timeoutMs: 200, retries: 1 }).then(() => true, () => false);
    if (ok) return { child, port };
  }
  stop(child);
  return 'in.tftpd did not answer';
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
}

/**
 * CPU seconds a process has run so far: the sum over its threads of /proc/PID/task/TID/schedstat's
 * first field (nanoseconds on CPU — exact, unlike stat's clock ticks, which would round each
 * short-lived in.tftpd child down by up to 10 ms). 0 once the process is gone.
 */
function cpuSeconds(pid: number): number {
  let tids: string[];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return 0; }
  let ns = 0;
  for (const tid of tids) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread gone */ }
  }
  return ns / 1e9;
}

/**
 * CPU time a server spends from now until stop(): its own, plus that of the children it forks
 * (in.tftpd: one per transfer). in.tftpd ignores SIGCHLD, so its children are reaped by the kernel
 * and their time never reaches the parent's cutime: they are sampled every 10 ms while alive, which
 * misses at most the last 10 ms of each (an undercount in tftpd-hpa's favour).
 */
function cpuMeter(pid: number): { stop(): number } {
  const start = cpuSeconds(pid);
  const children = new Map<number, number>();
  const sample = (): void => {
    let list = '';
    try { list = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim(); } catch { return; }
    for (const c of list ? list.split(' ').map(Number) : []) children.set(c, Math.max(children.get(c) ?? 0, cpuSeconds(c)));
  };
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      sample();
      clearInterval(timer);
      return cpuSeconds(pid) - start + [...children.values()].reduce((a, b) => a + b, 0);
    },
  };
}

interface Measure { seconds: number; perSecond: number; mbPerSecond: number; cpuSeconds: number }

async function measure(server: { port: number; child: ChildProcess }, n: number, options: OptionPair[], expected: Buffer): Promise<Measure> {
  const meter = cpuMeter(server.child.pid!);
  const start = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: n }, () => tftpGet({ port: server.port, file: FILE, options, timeoutMs: 2000, retries: 10 })));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuSeconds = meter.stop();
  for (const r of results) if (!r.data.equals(expected)) throw new Error('a download differs from the file');
  return { seconds, perSecond: n / seconds, mbPerSecond: (n * expected.length) / seconds / 1e6, cpuSeconds };
}

async function main(): Promise<void> {
  const concurrency = arg('concurrency', '50,200').split(',').map(Number);
  const size = Number(arg('size', String(1 << 20)));
  const dir = await mkdtemp(join(tmpdir(), 'plinth-tftp-bench-'));
  const children: ChildProcess[] = [];
  try {
    await chmod(dir, 0o755); // in.tftpd drops to "nobody" after its chroot
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 24;
    await writeFile(join(dir, FILE), data, { mode: 0o644 });

    const plinth = await startPlinth(dir);
    children.push(plinth.child);
    const hpa = await startTftpdHpa(dir);
    if (typeof hpa !== 'string') children.push(hpa.child);
    else console.log(`tftpd-hpa skipped: ${hpa}`);

    const scenarios: Array<{ name: string; options: OptionPair[]; both: boolean }> = [
      { name: 'RFC 1350 (512 B blocks)', options: [], both: true },
      { name: 'blksize 1468 + tsize', options: [['blksize', '1468'], ['tsize', '0']], both: true },
      { name: 'blksize 1468 + windowsize 16', options: [['blksize', '1468'], ['windowsize', '16']], both: false },
    ];
    await measure(plinth, 5, [], data); // warm-up (JIT, page cache)
    console.log(`${size} B file, concurrent downloads over loopback, one client process (the same for both servers)`);
    console.log('throughput ratio: plinth/tftpd-hpa transfers per second; CPU ratio: tftpd-hpa/plinth server CPU seconds (> 1: plinth cheaper)\n');
    console.log('scenario                        N   server      time s  transfers/s    MB/s  server CPU s   throughput  CPU');
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    let best = { perSecond: 0, label: '' };
    for (const n of concurrency) {
      for (const s of scenarios) {
        const ours = await measure(plinth, n, s.options, data);
        if (ours.perSecond > best.perSecond) best = { perSecond: ours.perSecond, label: `${s.name}, N=${n}` };
        const row = (server: string, m: Measure, ratio: string): void => console.log(
          `${s.name.padEnd(30)} ${String(n).padStart(4)}   ${server.padEnd(10)} ${m.seconds.toFixed(2).padStart(7)} ${m.perSecond.toFixed(1).padStart(12)} ${m.mbPerSecond.toFixed(1).padStart(7)} ${m.cpuSeconds.toFixed(2).padStart(13)}   ${ratio}`);
        if (s.both && typeof hpa !== 'string') {
          const theirs = await measure(hpa, n, s.options, data);
          const ratio = ours.perSecond / theirs.perSecond;
          const cpuRatio = theirs.cpuSeconds / Math.max(ours.cpuSeconds, 0.01);
          ratios.push(ratio);
          cpuRatios.push(cpuRatio);
          row('plinth', ours, `${ratio.toFixed(2)}×`.padStart(10) + `  ${cpuRatio.toFixed(2)}×`);
          row('tftpd-hpa', theirs, '');
        } else {
          row('plinth', ours, s.both ? '' : '(windowsize: plinth only)');
        }
      }
    }
    const mean = (xs: number[]): number => (xs.length > 0 ? Math.exp(xs.reduce((a, r) => a + Math.log(r), 0) / xs.length) : NaN);
    const geo = mean(ratios);
    const cpuGeo = mean(cpuRatios);
    console.log(`\nSUMMARY: plinth/tftpd-hpa throughput ratio ${Number.isNaN(geo) ? 'n/a (no tftpd-hpa)' : `${geo.toFixed(2)}×, CPU-efficiency ratio ${cpuGeo.toFixed(2)}× (geometric means of ${ratios.length})`}; best plinth ${best.perSecond.toFixed(1)} transfers/s (${best.label})`);
  } finally {
    for (const c of children) await stop(c);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') void serve(process.argv[3], process.argv[4]);
else main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
