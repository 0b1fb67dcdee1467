/**
 * One BIOS virtual machine network-boots through Plinth's own rack: its iPXE NIC ROM gets an
 * address and the ipxe.cfg URL from our DHCP server, then fetches ipxe.cfg, its per-MAC script
 * (404: unknown machine), the default (enlist) script, and the kernel and initrd from our HTTP boot
 * server. The "kernel" is iPXE's own bzImage build (ipxe.lkrn) so the fetch is real; whether it
 * boots does not matter — the server's events are the evidence.
 *
 * Real QEMU (TCG), network namespaces and the lab library — no doubles. Needs root and the lab's
 * Debian packages (see docs/lab.md); skipped without root.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { labDown, labUp, type LabStatus } from '../../src/edges/lab/index.ts';
import type { DhcpConfig } from '../../src/edges/rack/dhcp/config.ts';
import type { LeaseEvent } from '../../src/edges/rack/dhcp/events.ts';
import type { HttpBootEvent } from '../../src/edges/rack/http/types.ts';
import type { StaticBootTable } from '../../src/edges/rack/http/static-backend.ts';
import { NetnsProcess } from './netns-process.ts';

const execFileP = promisify(execFile);
const skip = process.getuid?.() !== 0 ? 'needs root (network namespaces, taps, QEMU in the lab)' : false;

const IMAGE = 'plinth/amd64/generic/bookworm/test';
const dir = mkdtempSync(join(tmpdir(), 'plinth-httpboot-qemu-'));
const rackNs = `phttpb-${process.pid}`;
const stateDir = join(dir, 'lab');
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

function addImage(root: string, rel: string, content: Buffer): void {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  writeFileSync(`${path}.sha256`, `${createHash('sha256').update(content).digest('hex')}  ${rel}\n`);
}

test('a BIOS VM gets DHCP from our server and fetches ipxe.cfg and its kernel over HTTP', { skip, timeout: 120_000 }, async () => {
  const imagesRoot = join(dir, 'images');
  const kernel = readFileSync('/usr/lib/ipxe/ipxe.lkrn');
  addImage(imagesRoot, `${IMAGE}/boot-kernel`, kernel);
  addImage(imagesRoot, `${IMAGE}/boot-initrd`, randomBytes(64 * 1024));
  copyFileSync('/usr/lib/ipxe/undionly.kpxe', join(dir, 'undionly.kpxe'));

  await execFileP('ip', ['netns', 'add', rackNs]);
  cleanups.push(async () => { await execFileP('ip', ['netns', 'del', rackNs]); });
  await execFileP('ip', ['-n', rackNs, 'link', 'set', 'lo', 'up']);

  const rack = '10.213.0.1';
  const table: StaticBootTable = {
    unknown: {
      purpose: 'enlist', arch: 'amd64', subarch: 'generic',
      image: { kernel: `${IMAGE}/boot-kernel`, initrd: `${IMAGE}/boot-initrd` },
      preseedUrl: `http://${rack}:5248/MAAS/metadata/latest/enlist-preseed/?op=get_enlist_preseed`,
      log: { host: rack, port: 5247 },
    },
  };
  const http = await NetnsProcess.start<HttpBootEvent>(rackNs, 'src/edges/rack/http/standalone.ts',
    { imagesRoot, table, listen: { port: 5248, host: '0.0.0.0' } }, dir, 'http');
  cleanups.push(() => http.stop());
  const dhcpConfig: DhcpConfig = { subnets: [{ cidr: '10.213.0.0/24', serverAddress: rack, pools: [{ start: '10.213.0.100', end: '10.213.0.150' }] }] };
  const dhcp = await NetnsProcess.start<LeaseEvent>(rackNs, 'src/edges/rack/dhcp/standalone.ts', { config: dhcpConfig }, dir, 'dhcp');
  cleanups.push(() => dhcp.stop());

  cleanups.push(async () => { await labDown(stateDir); });
  const t0 = Date.now();
  const lab: LabStatus = await labUp({ stateDir, machines: 1, firmware: 'bios', memoryMiB: 128, rackNamespace: rackNs, accel: 'tcg', powerOn: true });
  const mac = lab.machines[0].macs[0].toLowerCase();
  const console = () => { try { return readFileSync(lab.machines[0].consoleLog, 'utf8').slice(-2000); } catch { return ''; } };

  const lease = await dhcp.waitFor((e) => e.type === 'commit' && e.mac === mac, 60_000);
  assert.ok(lease, `no DHCP lease for ${mac}; DHCP errors: ${dhcp.errors.join('; ')}\nconsole:\n${console()}`);
  const isKernel = (e: HttpBootEvent) => e.url.endsWith(`/images/${IMAGE}/boot-kernel`) && e.status === 200 && !e.aborted;
  const got = await http.waitFor(isKernel, 90_000 - (Date.now() - t0));
  assert.ok(got, `the kernel was not fetched; HTTP events: ${JSON.stringify(http.events.map((e) => `${e.status} ${e.url}`))}\nconsole:\n${console()}`);
  assert.equal(got.bytes, kernel.length);
  assert.equal(got.remoteIp, lease.ip);

  // iPXE percent-encodes the MAC's colons (%3A); the server decodes them.
  const seen = http.events.map((e) => `${e.status} ${decodeURIComponent(e.url)}`);
  const order = [
    '200 /ipxe.cfg',
    `404 /ipxe.cfg-${mac}?platform=pcbios`,
    '200 /ipxe.cfg-default-amd64?platform=pcbios',
    `200 /images/${IMAGE}/boot-kernel`,
  ];
  let at = -1;
  for (const want of order) {
    const i = seen.indexOf(want, at + 1);
    assert.ok(i > at, `expected "${want}" after index ${at} in ${JSON.stringify(seen)}`);
    at = i;
  }
  const initrd = await http.waitFor((e) => e.url.endsWith(`/images/${IMAGE}/boot-initrd`) && e.status === 200, 10_000);
  assert.ok(initrd, 'the initrd was not fetched after the kernel');
});
