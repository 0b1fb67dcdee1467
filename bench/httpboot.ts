/**
 * HTTP boot throughput: one large image (500 MiB of random bytes by default) downloaded in full by
 * 50 concurrent clients, from Plinth's HttpBootServer and, side by side, from Debian's nginx
 * serving the same file (sendfile on, one worker — the same single process Plinth's server is).
 *
 * Both servers run as their own processes on 127.0.0.1 on a free port; the same client (this
 * process: node:http, one connection per download, bytes counted and discarded) loads each. Every
 * download is checked for its full length. The file is read once before the runs so both are
 * served from the page cache. Prints per-server throughput, client completion times, the server's
 * CPU time, the ratio, and a one-line summary.
 *
 *   npx tsx bench/httpboot.ts                       (needs nginx: apt-get install -y nginx)
 *   SIZE_MIB=100 CLIENTS=20 NGINX_WORKERS=2 CHUNK_KIB=1024 CACHE_MIB=0 npx tsx bench/httpboot.ts
 *
 * CHUNK_KIB and CACHE_MIB set Plinth's chunkBytes and chunkCacheBytes (defaults 256 KiB and 64 MiB;
 * CACHE_MIB=0: no chunk shared between downloads, each reads the whole file itself).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, openSync, closeSync, writeSync, readFileSync, rmSync, writeFileSync, existsSync, createReadStream } from 'node:fs';
import { request, Agent } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SIZE_MIB = Number(process.env.SIZE_MIB ?? 500);
const CLIENTS = Number(process.env.CLIENTS ?? 50);
const NGINX_WORKERS = Number(process.env.NGINX_WORKERS ?? 1);
const CHUNK_KIB = process.env.CHUNK_KIB ? Number(process.env.CHUNK_KIB) : undefined;
const CACHE_MIB = process.env.CACHE_MIB ? Number(process.env.CACHE_MIB) : undefined;
const REPO = fileURLToPath(new URL('../', import.meta.url));
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
const REL = 'bench/squashfs';

interface RunResult { seconds: number; bytes: number; p50: number; p95: number; max: number; cpuSeconds: number }

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** utime + stime of a process and its reaped children, in seconds (proc(5) fields 14-17). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

/** CPU of a process and its direct children (nginx's worker). */
function treeCpu(pid: number): number {
  let total = cpuSeconds(pid);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  for (const c of children ? children.split(' ') : []) total += cpuSeconds(Number(c));
  return total;
}

async function makeImage(root: string): Promise<string> {
  const path = join(root, REL);
  mkdirSync(join(path, '..'), { recursive: true });
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  const hash = createHash('sha256');
  for (let left = SIZE_MIB * 1024 * 1024; left > 0; left -= chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, left));
    randomFillSync(part);
    hash.update(part);
    writeSync(fd, part);
  }
  closeSync(fd);
  writeFileSync(`${path}.sha256`, `${hash.digest('hex')}  squashfs\n`);
  return path;
}

async function load(port: number, pid: number): Promise<RunResult> {
  const agent = new Agent({ keepAlive: false, maxSockets: CLIENTS });
  const expected = SIZE_MIB * 1024 * 1024;
  const cpu0 = treeCpu(pid);
  const t0 = process.hrtime.bigint();
  const times = await Promise.all(Array.from({ length: CLIENTS }, () => new Promise<number>((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port, path: `/images/${REL}`, agent }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => { n += c.length; });
      res.on('end', () => {
        if (res.statusCode !== 200 || n !== expected) reject(new Error(`status ${res.statusCode}, ${n} of ${expected} bytes`));
        else resolve(Number(process.hrtime.bigint() - start) / 1e9);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  })));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = treeCpu(pid) - cpu0;
  agent.destroy();
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { seconds, bytes: expected * CLIENTS, p50: at(0.5), p95: at(0.95), max: times[times.length - 1], cpuSeconds: cpu };
}

async function startPlinth(dir: string, root: string): Promise<{ child: ChildProcess; port: number }> {
  const settings = join(dir, 'plinth.json');
  writeFileSync(settings, JSON.stringify({ imagesRoot: root, table: {}, listen: { port: 0, host: '127.0.0.1' }, events: false, chunkBytes: CHUNK_KIB ? CHUNK_KIB * 1024 : undefined, chunkCacheBytes: CACHE_MIB !== undefined ? CACHE_MIB * 1024 * 1024 : undefined }));
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/edges/rack/http/standalone.ts'), settings], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = JSON.parse(l) as { ready?: { port: number }; error?: string };
      if (m.ready) resolve(m.ready.port);
      if (m.error) reject(new Error(m.error));
    });
    child.once('exit', (code) => reject(new Error(`Plinth's server exited (${code})`)));
  });
  return { child, port };
}

async function startNginx(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'tmp'), { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  const temp = (name: string) => `${name}_temp_path ${join(prefix, 'tmp', name)};`;
  writeFileSync(conf, [
    `worker_processes ${NGINX_WORKERS};`,
    'daemon off;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    '  sendfile on;',
    '  tcp_nopush on;',
    '  default_type application/octet-stream;',
    `  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}`,
    `  server { listen 127.0.0.1:${port}; root ${dir}; location /images/ { } }`,
    '}',
    '',
  ].join('\n'));
  const child = spawn(NGINX!, ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log')], { stdio: ['ignore', 'inherit', 'inherit'] });
  // Ready when it answers.
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', method: 'HEAD', agent: false }, (res) => { res.resume(); resolve(true); });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return { child, port };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not start (see ${join(prefix, 'error.log')})`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, 'SIGTERM');
  await exited;
}

const gbps = (r: RunResult) => r.bytes / r.seconds / 1e9;
const row = (name: string, r: RunResult) =>
  `${name.padEnd(8)} ${gbps(r).toFixed(2).padStart(6)} GB/s  ${r.seconds.toFixed(1).padStart(6)} s  ` +
  `per client p50 ${r.p50.toFixed(1)} s  p95 ${r.p95.toFixed(1)} s  max ${r.max.toFixed(1)} s  server CPU ${r.cpuSeconds.toFixed(1)} s`;

async function main(): Promise<void> {
  if (!NGINX) throw new Error('nginx is not installed: apt-get install -y nginx');
  const dir = mkdtempSync(join(tmpdir(), 'plinth-bench-httpboot-'));
  const children: ChildProcess[] = [];
  try {
    // nginx's worker runs as an unprivileged user: it must be able to read the image.
    chmodSync(dir, 0o755);
    const root = join(dir, 'images');
    console.log(`creating a ${SIZE_MIB} MiB random image in ${dir} …`);
    const image = await makeImage(root);
    chmodSync(root, 0o755);
    chmodSync(join(root, 'bench'), 0o755);
    chmodSync(image, 0o644);
    await new Promise<void>((resolve, reject) => createReadStream(image).on('data', () => {}).on('end', resolve).on('error', reject));

    const plinth = await startPlinth(dir, root);
    children.push(plinth.child);
    console.log(`${CLIENTS} concurrent clients × ${SIZE_MIB} MiB from Plinth (pid ${plinth.child.pid}) …`);
    const ours = await load(plinth.port, plinth.child.pid!);
    await stop(plinth.child);

    const nginx = await startNginx(dir);
    children.push(nginx.child);
    console.log(`${CLIENTS} concurrent clients × ${SIZE_MIB} MiB from nginx (${NGINX_WORKERS} worker${NGINX_WORKERS > 1 ? 's' : ''}, pid ${nginx.child.pid}) …`);
    const theirs = await load(nginx.port, nginx.child.pid!);
    await stop(nginx.child);

    console.log('');
    console.log(row('plinth', ours));
    console.log(row('nginx', theirs));
    const ratio = gbps(ours) / gbps(theirs);
    const cpuPerGb = (r: RunResult) => r.cpuSeconds / (r.bytes / 1e9);
    const cpuRatio = cpuPerGb(ours) / cpuPerGb(theirs);
    console.log(`ratio plinth/nginx: throughput ${ratio.toFixed(2)}, server CPU per byte ${cpuRatio.toFixed(2)}`);
    console.log(`SUMMARY httpboot: ${CLIENTS} clients × ${SIZE_MIB} MiB — Plinth ${gbps(ours).toFixed(2)} GB/s, nginx ${gbps(theirs).toFixed(2)} GB/s ` +
      `(${NGINX_WORKERS} worker), throughput ratio ${ratio.toFixed(2)}; server CPU ${cpuPerGb(ours).toFixed(2)} vs ${cpuPerGb(theirs).toFixed(2)} s/GB ` +
      `(plinth/nginx ${cpuRatio.toFixed(2)}); every download complete`);
  } finally {
    for (const c of children) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
