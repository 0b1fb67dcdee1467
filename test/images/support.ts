/**
 * Helpers of the image tests: why a real build cannot run here, the shared build cache under the
 * repository's .cache/, and a namespace with a bridge, DHCP (busybox udhcpd) and the test's HTTP
 * server for booting the ephemeral image in QEMU. Everything real; each helper cleans up what it starts.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/edges/images/agent.ts';
import { resolveMirror } from '../../src/edges/images/apt-sources.ts';

/** The suite builds each image once per machine; .cache/ is gitignored. */
export const CACHE = { outDir: join(REPO_ROOT, '.cache/images'), cacheDir: join(REPO_ROOT, '.cache/apt') };

export async function buildSkipReason(suite = 'bookworm'): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'building images needs root (mmdebstrap --mode=root, mounts)';
  let mirror: string;
  try {
    mirror = resolveMirror(suite, process.env.PLINTH_IMAGE_MIRROR);
  } catch (e) {
    return (e as Error).message;
  }
  try {
    const r = await fetch(`${mirror}/dists/${suite}/Release`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) });
    if (!r.ok) return `mirror ${mirror} answered ${r.status} for ${suite}'s Release file`;
  } catch (e) {
    return `mirror ${mirror} is unreachable: ${(e as Error).message}`;
  }
  return undefined;
}

const ip = (args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

export interface BootNet {
  ns: string;
  addr: string;
  dir: string;
  procs: ChildProcess[];
  /** Lines printed by the HTTP server (one per request). */
  requests: string[];
  start(cmd: string, args: string[], logName: string): ChildProcess;
  close(): void;
}

/**
 * A namespace with br0 (STP off, no forward delay, so the first DHCP packets are not dropped),
 * tap0 on it for QEMU, udhcpd on the bridge and the HTTP server on port 5248 serving `docroot`.
 */
export async function bootNet(docroot: string): Promise<BootNet> {
  const ns = `plinth-img-${process.pid}`;
  const addr = '10.219.0.1';
  const dir = mkdtempSync(join(tmpdir(), 'plinth-imgboot-'));
  ip(['netns', 'add', ns]);
  const procs: ChildProcess[] = [];
  const requests: string[] = [];
  const net: BootNet = {
    ns, addr, dir, procs, requests,
    start(cmd, args, logName) {
      const fd = openSync(join(dir, logName), 'a');
      const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', fd] });
      closeSync(fd);
      procs.push(p);
      return p;
    },
    close() {
      for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      try { ip(['netns', 'del', ns]); } catch { /* already gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    ip(['-n', ns, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    ip(['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'br0']);
    ip(['-n', ns, 'link', 'set', 'br0', 'up']);
    ip(['-n', ns, 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
    ip(['-n', ns, 'link', 'set', 'tap0', 'master', 'br0', 'up']);
    mkdirSync(join(dir, 'dhcp'));
    writeFileSync(join(dir, 'udhcpd.conf'), [
      'start 10.219.0.100', 'end 10.219.0.150', 'interface br0', `lease_file ${join(dir, 'dhcp', 'leases')}`,
      'option subnet 255.255.255.0', `option router ${addr}`, `option dns ${addr}`, 'option domain maas', 'option lease 600', '',
    ].join('\n'));
    writeFileSync(join(dir, 'dhcp', 'leases'), '');
    net.start('busybox', ['udhcpd', '-f', join(dir, 'udhcpd.conf')], 'udhcpd.log');
    const http = net.start(process.execPath, [new URL('./serve.mjs', import.meta.url).pathname, addr, '5248', docroot], 'http.log');
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('HTTP server did not start')), 10_000);
      http.stdout!.setEncoding('utf8').on('data', (d: string) => {
        for (const l of d.split('\n').filter(Boolean)) {
          if (l.startsWith('listening')) { clearTimeout(t); resolve(); } else requests.push(l);
        }
      });
    });
  } catch (e) {
    net.close();
    throw e;
  }
  return net;
}

/** Resolves when `pred` holds for the text of `read()`, polling; rejects after `ms`. */
export async function waitFor(read: () => string, pred: (s: string) => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (pred(read())) return (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}
