/**
 * Option families over real loopback UDP: network configuration (1, 3, 6, 15, 26, 28, 42, 119),
 * parameter request list order (55), maximum message size (57), client identifier (61), host name
 * (12), requested address (50).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Opt } from '../../src/edges/rack/dhcp/codes.ts';
import { decodeDomainSearch } from '../../src/edges/rack/dhcp/options-search.ts';
import { startHarness, ipBytes, messageType, T, type Harness, type RequestSpec } from './helpers/peer.ts';
import { testConfig, relayedSubnet, attachedSubnet, freshMac, RELAY_IP, SERVER_IP } from './helpers/fixtures.ts';

const manySearchDomains = Array.from({ length: 50 }, (_, i) => `rack${i}.zone${i}.datacentre.example.org`);

let h: Harness;
before(async () => {
  h = await startHarness({ config: testConfig({ subnets: [relayedSubnet(), attachedSubnet({ searchDomains: manySearchDomains, domain: 'example.org' })] }) });
});
after(async () => { await h.close(); });

const relayed = (spec: Omit<RequestSpec, 'giaddr'>): RequestSpec => ({ giaddr: RELAY_IP, ...spec });

test('network options carry the subnet configuration', async () => {
  const r = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.PARAM_REQUEST_LIST, [1, 3, 6, 15, 26, 28, 42, 119]]] }));
  const o = r.packet.options;
  const table: Array<[number, Buffer]> = [
    [Opt.SUBNET_MASK, ipBytes('255.255.255.0')],
    [Opt.ROUTERS, ipBytes(RELAY_IP)],
    [Opt.DNS_SERVERS, Buffer.concat([ipBytes('127.42.0.2'), ipBytes('127.42.0.3')])],
    [Opt.DOMAIN_NAME, Buffer.from('maas.test')],
    [Opt.MTU, Buffer.from([0x05, 0xaa])],
    [Opt.BROADCAST, ipBytes('127.42.0.255')],
    [Opt.NTP_SERVERS, ipBytes('127.42.0.4')],
  ];
  for (const [code, value] of table) assert.deepEqual(o.get(code), value, `option ${code}`);
  assert.deepEqual(decodeDomainSearch(o.get(Opt.DOMAIN_SEARCH)!), ['maas.test', 'lab.maas.test']);
});

test('parameter request list order is honoured; unrequested extras are not sent', async () => {
  const prl = [42, 119, 6, 3, 1, 15];
  const r = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.PARAM_REQUEST_LIST, prl]] }));
  const codes = [...r.packet.options.keys()];
  assert.deepEqual(codes.slice(0, 5), [Opt.MESSAGE_TYPE, Opt.SERVER_ID, Opt.LEASE_TIME, Opt.RENEWAL_TIME, Opt.REBINDING_TIME]);
  assert.deepEqual(codes.slice(5), prl);
  const bare = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac() }));
  const bareCodes = [...bare.packet.options.keys()];
  for (const code of [Opt.SUBNET_MASK, Opt.ROUTERS, Opt.DNS_SERVERS, Opt.DOMAIN_NAME]) assert.ok(bareCodes.includes(code), `always sends ${code}`);
  for (const code of [Opt.NTP_SERVERS, Opt.DOMAIN_SEARCH, Opt.MTU]) assert.ok(!bareCodes.includes(code), `does not volunteer ${code}`);
});

const sizes: Array<[string, number | undefined, boolean]> = [
  ['no option 57: 576-octet datagrams', undefined, false],
  ['option 57 = 576', 576, false],
  ['option 57 = 1500', 1500, true],
];
for (const [name, size, fitsAll] of sizes) {
  test(`maximum message size: ${name}`, async () => {
    const options: RequestSpec['options'] = [[Opt.PARAM_REQUEST_LIST, [119, 1, 3, 6, 15]]];
    if (size !== undefined) options.push([Opt.MAX_MESSAGE_SIZE, [size >> 8, size & 255]]);
    const r = await h.exchange({ type: T.DISCOVER, mac: freshMac(), options });
    assert.ok(r.raw.length <= (size ?? 576) - 28, `reply of ${r.raw.length} octets`);
    const search = r.packet.options.get(Opt.DOMAIN_SEARCH);
    if (fitsAll) assert.deepEqual(decodeDomainSearch(search!), manySearchDomains);
    else assert.equal(search, undefined, "a search list too big for the client is left out whole");
    assert.ok(r.packet.options.has(Opt.SUBNET_MASK) && r.packet.options.has(Opt.SERVER_ID));
  });
}

test('client identifier (61) owns the lease, not chaddr (RFC 2131 §4.2)', async () => {
  const id: [number, number[]] = [Opt.CLIENT_ID, [0xff, 1, 2, 3, 4, 5, 6, 7]];
  const first = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [id] }));
  await h.exchange(relayed({ type: T.REQUEST, mac: freshMac(), options: [id, [Opt.SERVER_ID, ipBytes(SERVER_IP)], [Opt.REQUESTED_IP, ipBytes(first.packet.yiaddr)]] }));
  const again = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [id] }));
  assert.equal(again.packet.yiaddr, first.packet.yiaddr, 'same client id, other NIC: same address');
  const mac = freshMac();
  const a = await h.exchange(relayed({ type: T.DISCOVER, mac, options: [[Opt.CLIENT_ID, [1, 9, 9]]] }));
  const b = await h.exchange(relayed({ type: T.DISCOVER, mac, options: [[Opt.CLIENT_ID, [1, 8, 8]]] }));
  assert.notEqual(a.packet.yiaddr, b.packet.yiaddr, 'same MAC, two client ids: two clients');
});

test('requested address (50) in DISCOVER: honoured when free and in a pool, else ignored', async () => {
  const yes = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.180')]] }));
  assert.equal(yes.packet.yiaddr, '127.42.0.180');
  const taken = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.180')]] }));
  assert.notEqual(taken.packet.yiaddr, '127.42.0.180');
  const outside = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes('127.42.0.20')]] }));
  assert.notEqual(outside.packet.yiaddr, '127.42.0.20');
  const router = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.REQUESTED_IP, ipBytes(RELAY_IP)]] }));
  assert.notEqual(router.packet.yiaddr, RELAY_IP);
});

test('host name (12): a reservation names the host; a client name is not echoed', async () => {
  const reserved = await h.exchange(relayed({ type: T.DISCOVER, mac: '52:54:00:aa:00:01' }));
  assert.equal(reserved.packet.options.get(Opt.HOSTNAME)?.toString(), 'reserved-node');
  const plain = await h.exchange(relayed({ type: T.DISCOVER, mac: freshMac(), options: [[Opt.HOSTNAME, 'my-laptop']] }));
  assert.equal(plain.packet.options.has(Opt.HOSTNAME), false);
  assert.equal(messageType(plain), T.OFFER);
});
