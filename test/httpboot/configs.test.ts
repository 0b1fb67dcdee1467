/**
 * Boot configurations over HTTP: what the server asks its backend (path, MAC, firmware, addresses)
 * and what it answers — the pre-loaders, per-MAC scripts, defaults, 404 fall-through, HEAD, and
 * backends that are slow, fail or answer nonsense (503, never a hang).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { renderBootConfig, renderPreloader } from '../../src/domain/boot/index.ts';
import { StaticBootBackend, type StaticBootTable } from '../../src/edges/rack/http/static-backend.ts';
import type { BootConfigRequest, HttpBootBackend } from '../../src/edges/rack/http/types.ts';
import { CASES, ephemeralBase } from '../boot/cases.ts';
import { get, ImageStore, startServer, type Running } from './helpers.ts';

const KNOWN = '52:54:00:12:34:56';
const LOCAL = '52:54:00:aa:bb:cc';
const { server: _server, ...commissioning } = ephemeralBase;
const enlist = CASES.find(([n]) => n === 'enlist-bios')![1];
const table: StaticBootTable = {
  machines: {
    [KNOWN]: commissioning,
    [LOCAL.replace(/:/g, '-')]: { purpose: 'local', arch: 'amd64', subarch: 'generic', hostname: 'node-9' },
  },
  unknown: enlist,
};

/** Records what the server asks; answers with the real static backend. */
class Recording implements HttpBootBackend {
  readonly seen: BootConfigRequest[] = [];
  private readonly inner = new StaticBootBackend(table);
  bootConfig(r: BootConfigRequest): string | null {
    this.seen.push(r);
    return this.inner.bootConfig(r);
  }
}

const store = new ImageStore();
const backend = new Recording();
let srv: Running;
before(async () => { srv = await startServer({ backend, imagesRoot: store.root }); });
after(async () => {
  await srv.server.close();
  store.cleanup();
});

describe('configuration lookups', () => {
  const here = () => ({ host: '127.0.0.1', port: srv.port });
  const rows: Array<[string, string, number, () => string | null]> = [
    ['iPXE pre-loader, for the address the client reached', '/ipxe.cfg', 200, () => renderPreloader('ipxe', here())],
    ['GRUB pre-loader', '/grub/grub.cfg', 200, () => renderPreloader('grub', here())],
    ['a known MAC (iPXE, colons)', `/ipxe.cfg-${KNOWN}`, 200, () => renderBootConfig('ipxe', { ...ephemeralBase, server: here() })],
    ['a known MAC (iPXE, hyphens)', `/ipxe.cfg-${KNOWN.replace(/:/g, '-')}`, 200, () => renderBootConfig('ipxe', { ...ephemeralBase, server: here() })],
    ['a known MAC (GRUB)', `/grub/grub.cfg-${KNOWN}`, 200, () => renderBootConfig('grub', { ...ephemeralBase, server: here() })],
    ['a known MAC (PXELINUX)', `/pxelinux.cfg/01-${KNOWN.replace(/:/g, '-')}`, 200, () => renderBootConfig('pxelinux', { ...ephemeralBase, server: here() })],
    ['local boot on BIOS (platform=pcbios)', `/ipxe.cfg-${LOCAL}?platform=pcbios`, 200, () => '#!ipxe\n# Plinth boot configuration: local\necho Plinth: booting node-9 (amd64/generic, bios) from its local disk\nsanboot --no-describe --drive 0x80\n'],
    ['local boot on UEFI (platform=efi)', `/ipxe.cfg-${LOCAL}?platform=efi`, 200, () => '#!ipxe\n# Plinth boot configuration: local\necho Plinth: booting node-9 (amd64/generic, uefi) from its local disk\nexit 1\n'],
    ['an unknown MAC: 404, so iPXE chains to the default', '/ipxe.cfg-52:54:00:00:00:99', 404, () => null],
    ['the default for amd64: enlist', '/ipxe.cfg-default-amd64', 200, () => renderBootConfig('ipxe', enlist)],
    ['GRUB default for x86_64', '/grub/grub.cfg-default-x86_64', 200, () => renderBootConfig('grub', enlist)],
    ['PXELINUX default', '/pxelinux.cfg/default', 200, () => renderBootConfig('pxelinux', enlist)],
    ['PXELINUX UUID: not ours', '/pxelinux.cfg/0d6a1c3e-5b2f-4c1a-9e8d-7f6a5b4c3d2e', 404, () => null],
    ['PXELINUX hex IP: not a config name', '/pxelinux.cfg/7F000001', 404, () => null],
  ];
  for (const [name, path, status, expected] of rows) {
    test(name, async () => {
      const r = await get(srv.port, path);
      assert.equal(r.status, status);
      if (status === 200) {
        assert.equal(r.body.toString(), expected());
        assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
        assert.equal(r.headers['cache-control'], 'no-store');
      }
    });
  }

  test('the backend is told the MAC, firmware, architecture and both addresses', async () => {
    backend.seen.length = 0;
    await get(srv.port, `/ipxe.cfg-${KNOWN.toUpperCase()}?platform=efi&extra=1`);
    await get(srv.port, '/grub/grub.cfg-default-arm64-generic');
    const [a, b] = backend.seen;
    assert.deepEqual(
      { path: a.path, mac: a.mac, firmware: a.firmware, remoteIp: a.remoteIp, localIp: a.localIp, localPort: a.localPort, query: a.query },
      { path: `ipxe.cfg-${KNOWN.toUpperCase()}`, mac: KNOWN, firmware: 'uefi', remoteIp: '127.0.0.1', localIp: '127.0.0.1', localPort: srv.port, query: { platform: 'efi', extra: '1' } },
    );
    assert.deepEqual({ arch: b.arch, subarch: b.subarch, loader: b.file.loader, kind: b.file.kind }, { arch: 'arm64', subarch: 'generic', loader: 'grub', kind: 'default' });
  });

  test('HEAD of a configuration: headers only', async () => {
    const r = await get(srv.port, '/ipxe.cfg', {}, 'HEAD');
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(renderPreloader('ipxe', here()))));
  });

  test('configuration events carry the MAC', async () => {
    const n = srv.events.length;
    await get(srv.port, `/ipxe.cfg-${KNOWN}`);
    await srv.eventCount(n + 1);
    assert.deepEqual({ kind: srv.events[n].kind, mac: srv.events[n].mac, status: srv.events[n].status }, { kind: 'config', mac: KNOWN, status: 200 });
  });
});

describe('backends that misbehave', () => {
  // Test backends standing in for a region that is slow or broken (there is no region link yet).
  const backends: Array<[string, HttpBootBackend, RegExp]> = [
    ['one that never answers', { bootConfig: () => new Promise<string>(() => {}) }, /did not answer within 200 ms/],
    ['one that throws', { bootConfig: () => { throw new Error('database is down'); } }, /backend error: database is down/],
    ['one that rejects', { bootConfig: async () => { throw new Error('region unreachable'); } }, /backend error: region unreachable/],
    ['one that answers a number', { bootConfig: () => 42 as unknown as string }, /something other than text/],
    ['one whose decision is invalid', new StaticBootBackend({ unknown: { ...enlist, extraOpts: 'a\nshell' } as typeof enlist }), /control characters/],
  ];
  for (const [name, b, message] of backends) {
    test(`${name}: 503 with Retry-After, and the event says why`, async () => {
      const s = new ImageStore();
      const r = await startServer({ backend: b, imagesRoot: s.root, backendTimeoutMs: 200 });
      try {
        const t0 = Date.now();
        const reply = await get(r.port, '/ipxe.cfg-default-amd64');
        assert.ok(Date.now() - t0 < 2000);
        assert.equal(reply.status, 503);
        assert.equal(reply.headers['retry-after'], '5');
        await r.eventCount(1);
        assert.match(r.events[0].error ?? '', message);
        assert.equal(r.server.stats.backendErrors, 1);
      } finally {
        await r.server.close();
        s.cleanup();
      }
    });
  }

  test('the backend\'s signal aborts when the client goes away', async () => {
    let signal: AbortSignal | undefined;
    const s = new ImageStore();
    const r = await startServer({ backend: { bootConfig: (_req, sig) => { signal = sig; return new Promise<string>(() => {}); } }, imagesRoot: s.root, backendTimeoutMs: 5000 });
    try {
      const { request } = await import('node:http');
      const req = request({ host: '127.0.0.1', port: r.port, path: '/ipxe.cfg', agent: false });
      req.on('error', () => {});
      req.end();
      while (!signal) await new Promise((res) => setTimeout(res, 10));
      req.destroy();
      const t0 = Date.now();
      while (!signal.aborted && Date.now() - t0 < 2000) await new Promise((res) => setTimeout(res, 10));
      assert.equal(signal.aborted, true);
    } finally {
      await r.server.close();
      s.cleanup();
    }
  });
});
