/**
 * The standalone server process on loopback: starts from a settings file, reports lease events
 * as JSON lines, persists to its lease file, reloads its configuration on SIGHUP and prints its
 * statistics on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import type { DhcpConfig } from '../../src/edges/rack/dhcp/config.ts';
import { craft, ipBytes, Peer, T } from './helpers/peer.ts';
import { relayedSubnet, RELAY_IP, SERVER_IP } from './helpers/fixtures.ts';
import { REPO } from './helpers/netns.ts';

test('standalone: events, lease file, SIGHUP reload, SIGTERM stats', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'plinth-dhcp-standalone-'));
  const peer = await Peer.open();
  t.after(async () => { await peer.close(); await rm(dir, { recursive: true, force: true }); });
  const settingsPath = join(dir, 'settings.json');
  const leaseFile = join(dir, 'leases.jsonl');
  const settings = (dns: string): string => JSON.stringify({
    config: { subnets: [relayedSubnet({ dnsServers: [dns] })] } satisfies DhcpConfig,
    listen: { port: 0, address: '127.0.0.1', clientPort: peer.port, relayPort: peer.port },
    leaseFile,
  });
  await writeFile(settingsPath, settings('127.42.0.2'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/edges/rack/dhcp/standalone.ts'), settingsPath], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const lines: Array<Record<string, unknown>> = [];
  let wake: () => void = () => undefined;
  createInterface({ input: child.stdout! }).on('line', (l) => { lines.push(JSON.parse(l) as Record<string, unknown>); wake(); });
  const waitLine = async (key: string): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = lines.find((l) => key in l);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no "${key}" line; got ${JSON.stringify(lines)}`);
      await new Promise<void>((r) => { const tm = setTimeout(r, 200); wake = () => { clearTimeout(tm); r(); }; });
    }
  };
  const { port } = (await waitLine('ready')).ready as { port: number };

  const mac = '52:54:00:5a:00:01';
  const discover = craft({ type: T.DISCOVER, mac, giaddr: RELAY_IP });
  await peer.sendPacket(discover, port);
  const offer = await peer.reply(discover.xid, 3000);
  assert.deepEqual(offer.packet.options.get(Opt.DNS_SERVERS), ipBytes('127.42.0.2'));
  const request = craft({ type: T.REQUEST, mac, giaddr: RELAY_IP, options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(offer.packet.yiaddr)]] });
  await peer.sendPacket(request, port);
  await peer.reply(request.xid, 3000);
  const event = (await waitLine('event')).event as { type: string; ip: string };
  assert.deepEqual([event.type, event.ip], ['commit', offer.packet.yiaddr]);
  assert.match(await readFile(leaseFile, 'utf8'), new RegExp(`"ip":"${offer.packet.yiaddr}".*"state":"bound"`));

  await writeFile(settingsPath, settings('127.42.0.9'));
  child.kill('SIGHUP');
  await waitLine('reloaded');
  const again = craft({ type: T.DISCOVER, mac: '52:54:00:5a:00:02', giaddr: RELAY_IP });
  await peer.sendPacket(again, port);
  assert.deepEqual((await peer.reply(again.xid, 3000)).packet.options.get(Opt.DNS_SERVERS), ipBytes('127.42.0.9'));

  child.kill('SIGTERM');
  const stats = (await waitLine('stats')).stats as { received: number; replies: number };
  assert.deepEqual([stats.received, stats.replies], [3, 3]);
  assert.equal(await exited, 0);
});
