/**
 * TFTP benchmark: N concurrent downloads of a 1 MiB file over loopback, against Plinth's TftpServer
 * and, side by side, Debian's tftpd-hpa (`in.tftpd`, package tftpd-hpa), both driven by the same
 * client (test/tftp/client.ts). Each server runs in its own process; this process is only the client.
 *
 *   npx tsx bench/tftp.ts [--concurrency 50,200] [--size 1048576]
 *
 * in.tftpd runs in the foreground (`--foreground --address 127.0.0.1:PORT --secure DIR`), with its
 * block size capped at 1468 like ours; it is stopped by PID at the end. Without in.tftpd (or without
 * root, which its --secure chroot needs) only Plinth is measured. Prints a table, the ratios, and a
 * one-line summary last.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
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
async function serve(dir: string): Promise<void> {
  const server = new TftpServer({ backend: directoryBackend(dir) });
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
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
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

interface Measure { seconds: number; perSecond: number; mbPerSecond: number }

async function measure(port: number, n: number, options: OptionPair[], expected: Buffer): Promise<Measure> {
  const start = process.hrtime.bigint();
  const results = await Promise.all(Array.from({ length: n }, () => tftpGet({ port, file: FILE, options, timeoutMs: 2000, retries: 10 })));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  for (const r of results) if (!r.data.equals(expected)) throw new Error('a download differs from the file');
  return { seconds, perSecond: n / seconds, mbPerSecond: (n * expected.length) / seconds / 1e6 };
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
    await measure(plinth.port, 5, [], data); // warm-up (JIT, page cache)
    console.log(`${size} B file, concurrent downloads over loopback, one client process\n`);
    console.log('scenario                        N   server      time s  transfers/s    MB/s   ratio');
    const ratios: number[] = [];
    let best = { perSecond: 0, label: '' };
    for (const n of concurrency) {
      for (const s of scenarios) {
        const ours = await measure(plinth.port, n, s.options, data);
        if (ours.perSecond > best.perSecond) best = { perSecond: ours.perSecond, label: `${s.name}, N=${n}` };
        const row = (server: string, m: Measure, ratio: string): void => console.log(
          `${s.name.padEnd(30)} ${String(n).padStart(4)}   ${server.padEnd(10)} ${m.seconds.toFixed(2).padStart(7)} ${m.perSecond.toFixed(1).padStart(12)} ${m.mbPerSecond.toFixed(1).padStart(7)}   ${ratio}`);
        if (s.both && typeof hpa !== 'string') {
          const theirs = await measure(hpa.port, n, s.options, data);
          const ratio = ours.perSecond / theirs.perSecond;
          ratios.push(ratio);
          row('plinth', ours, `${ratio.toFixed(2)}×`);
          row('tftpd-hpa', theirs, '');
        } else {
          row('plinth', ours, s.both ? '' : '(windowsize: plinth only)');
        }
      }
    }
    const geo = ratios.length > 0 ? Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length) : NaN;
    console.log(`\nSUMMARY: plinth/tftpd-hpa throughput ratio ${Number.isNaN(geo) ? 'n/a (no tftpd-hpa)' : `${geo.toFixed(2)}× (geometric mean of ${ratios.length})`}; best plinth ${best.perSecond.toFixed(1)} transfers/s (${best.label})`);
  } finally {
    for (const c of children) await stop(c);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') void serve(process.argv[3]);
else main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
