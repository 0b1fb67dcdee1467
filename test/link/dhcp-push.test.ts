/** DhcpPusher bookkeeping: a pass with no racks must not block later passes; unchanged services are not re-pushed. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { DhcpPusher } from '../../src/edges/rpc/dhcp-push.ts';
import { RackRegistry } from '../../src/edges/rpc/registry.ts';
import { quietLog } from '../helpers/region.ts';

it('passes keep running after an empty one, and push only changes', async () => {
  const registry = new RackRegistry();
  let racks: string[] = [];
  const pushed: unknown[] = [];
  registry.list = () => racks.map((systemId) => ({ systemId }) as any);
  registry.push = (_sid, _m, p) => { pushed.push(p); return true; };
  let version = 1;
  const pusher = new DhcpPusher({ log: quietLog } as any, registry, { serviceFor: async (_c, sid) => ({ rack: sid, version } as any) });
  await pusher.nudge(); // no racks: must not wedge the pusher
  racks = ['abc'];
  await pusher.nudge();
  await pusher.nudge();
  assert.equal(pushed.length, 1);
  version = 2;
  await pusher.nudge();
  assert.deepEqual(pushed.at(-1), { rack: 'abc', version: 2 });
});
