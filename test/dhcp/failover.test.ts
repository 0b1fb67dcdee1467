/**
 * Failover and persistence over real loopback UDP: a secondary sharing the primary's LeaseStore
 * stays silent until told the primary is gone, then serves without handing out the primary's
 * addresses; a server on a FileLeaseStore remembers its clients across a restart.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { MemoryLeaseStore } from '../../src/edges/rack/dhcp/lease-store.ts';
import { FileLeaseStore } from '../../src/edges/rack/dhcp/lease-file-store.ts';
import { craft, startHarness, ipBytes, messageType, T, type RequestSpec } from './helpers/peer.ts';
import { testConfig, relayedSubnet, freshMac, RELAY_IP, SERVER_IP } from './helpers/fixtures.ts';

const SECONDARY_IP = '127.0.0.2';
const relayed = (spec: Omit<RequestSpec, 'giaddr'>): RequestSpec => ({ giaddr: RELAY_IP, ...spec });

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

test('secondary: silent while the primary lives, then serves from the shared leases', async (t) => {
  const store = new MemoryLeaseStore();
  const primary = await startHarness({ config: testConfig({ subnets: [relayedSubnet()] }), store });
  const secondary = await startHarness({ config: testConfig({ role: 'secondary', subnets: [relayedSubnet({ serverAddress: SECONDARY_IP })] }), store });
  t.after(async () => { await primary.close(); await secondary.close(); });

  const mac = freshMac();
  assert.ok(await secondary.silent(relayed({ type: T.DISCOVER, mac })), 'standby secondary is silent');
  assert.equal(secondary.server.answering, false);
  const offer = await primary.exchange(relayed({ type: T.DISCOVER, mac }));
  const ack = await primary.exchange(relayed({ type: T.REQUEST, mac, options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(offer.packet.yiaddr)]] }));
  assert.equal(messageType(ack), T.ACK);

  await primary.server.close();
  secondary.server.primaryGone();
  assert.equal(secondary.server.answering, true);
  const other = await secondary.exchange(relayed({ type: T.DISCOVER, mac: freshMac() }));
  assert.notEqual(other.packet.yiaddr, offer.packet.yiaddr, "never the primary's lease");
  assert.deepEqual(other.packet.options.get(Opt.SERVER_ID), ipBytes(SECONDARY_IP));
  // The primary's client rebinds (broadcast, no server id) and the secondary extends its lease.
  const rebind = await secondary.exchange(relayed({ type: T.REQUEST, mac, ciaddr: offer.packet.yiaddr }));
  assert.equal(messageType(rebind), T.ACK);
  assert.equal(rebind.packet.yiaddr, offer.packet.yiaddr);
  assert.equal(secondary.events.at(-1)?.type, 'renew');
  // A SELECTING request naming the old primary is not the secondary's to answer.
  assert.ok(await secondary.silent(relayed({ type: T.REQUEST, mac: freshMac(), options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes('127.42.0.150')]] })));

  secondary.server.primaryBack();
  assert.ok(await secondary.silent(relayed({ type: T.DISCOVER, mac: freshMac() })), 'quiet again');
});

test('two active servers on one store never hand out the same address', async (t) => {
  const store = new MemoryLeaseStore();
  const a = await startHarness({ config: testConfig({ subnets: [relayedSubnet({ reservations: [] })] }), store });
  const b = await startHarness({ config: testConfig({ subnets: [relayedSubnet({ serverAddress: SECONDARY_IP, reservations: [] })] }), store });
  t.after(async () => { await a.close(); await b.close(); });
  const packets = Array.from({ length: 40 }, () => craft(relayed({ type: T.DISCOVER, mac: freshMac() })));
  // Every client's DISCOVER reaches both servers, interleaved.
  await Promise.all(packets.flatMap((p) => [a.peer.sendPacket(p, a.serverPort), b.peer.sendPacket(p, b.serverPort)]));
  const offers = await Promise.all(packets.flatMap((p) => [a.peer.reply(p.xid), b.peer.reply(p.xid)]));
  const byAddress = new Map<string, Set<string>>();
  for (const o of offers) {
    const mac = o.packet.chaddr.subarray(0, 6).toString('hex');
    const set = byAddress.get(o.packet.yiaddr) ?? new Set();
    set.add(mac);
    byAddress.set(o.packet.yiaddr, set);
  }
  for (const [ip, macs] of byAddress) assert.equal(macs.size, 1, `${ip} offered to ${[...macs]}`);
});

test('FileLeaseStore: a restarted server still knows its clients (INIT-REBOOT → ACK)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plinth-dhcp-failover-'));
  dirs.push(dir);
  const path = join(dir, 'leases.jsonl');
  const mac = freshMac();
  let ip: string;
  {
    const store = await FileLeaseStore.open(path);
    const h = await startHarness({ config: testConfig(), store });
    const offer = await h.exchange(relayed({ type: T.DISCOVER, mac }));
    const ack = await h.exchange(relayed({ type: T.REQUEST, mac, options: [[Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(offer.packet.yiaddr)]] }));
    ip = ack.packet.yiaddr;
    // The ACK was sent: the binding must already be on disk, without any close or flush.
    const journal = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { put?: { ip: string; state: string } });
    assert.ok(journal.some((e) => e.put?.ip === ip && e.put.state === 'bound'));
    await h.close();
    await store.close();
  }
  const store = await FileLeaseStore.open(path);
  const h = await startHarness({ config: testConfig(), store });
  try {
    const ack = await h.exchange(relayed({ type: T.REQUEST, mac, options: [[Opt.REQUESTED_IP, ipBytes(ip)]] }));
    assert.equal(messageType(ack), T.ACK);
    assert.equal(h.events[0]?.type, 'renew');
    const stranger = await h.exchange(relayed({ type: T.REQUEST, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes(ip)]] }));
    assert.equal(messageType(stranger), T.NAK);
  } finally {
    await h.close();
    await store.close();
  }
});
