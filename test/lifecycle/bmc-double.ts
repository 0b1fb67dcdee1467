/**
 * TEST DOUBLE for a machine's BMC (hardware we do not have): an HTTP server on loopback that speaks the
 * webhook power type — POST /on, POST /off, GET /status answering {"status": "running"|"stopped"}.
 * `holdOn` keeps /on requests hanging (the command is received and takes effect, the answer never comes
 * until released), to crash a region in the middle of a power step; `failWith` answers every request
 * with an HTTP status (401 is a credentials error, 503 a passing one).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface BmcDouble {
  url: string;
  state: { power: 'on' | 'off'; boots: number; on: number; off: number; queries: number };
  holdOn: boolean;
  failWith: number;
  /** Webhook power parameters for this BMC. */
  params(): Record<string, string>;
  /** Machine-create fields for this BMC. */
  fields(): Array<[string, string]>;
  stop(): Promise<void>;
}

export async function startBmcDouble(): Promise<BmcDouble> {
  const held: ServerResponse[] = [];
  const sockets = new Set<Socket>();
  const bmc: BmcDouble = {
    url: '', state: { power: 'off', boots: 0, on: 0, off: 0, queries: 0 }, holdOn: false, failWith: 0,
    params() { return { power_on_uri: `${bmc.url}/on`, power_off_uri: `${bmc.url}/off`, power_query_uri: `${bmc.url}/status` }; },
    fields() { return [['power_type', 'webhook'], ...Object.entries(bmc.params()).map(([k, v]) => [`power_parameters_${k}`, v] as [string, string])]; },
    stop: async () => {},
  };
  const reply = (res: ServerResponse, status: number, body: string) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(body); };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (bmc.failWith) return reply(res, bmc.failWith, '{"error":"injected"}');
      if (path === '/status') { bmc.state.queries++; return reply(res, 200, JSON.stringify({ status: bmc.state.power === 'on' ? 'running' : 'stopped' })); }
      if (path === '/on') {
        bmc.state.on++;
        if (bmc.state.power === 'off') bmc.state.boots++;
        bmc.state.power = 'on';
        if (bmc.holdOn) { held.push(res); return; }
        return reply(res, 200, '{"result":"ok"}');
      }
      if (path === '/off') { bmc.state.off++; bmc.state.power = 'off'; return reply(res, 200, '{"result":"ok"}'); }
      reply(res, 404, '{"error":"not found"}');
    });
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  bmc.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  bmc.stop = () => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  });
  return bmc;
}
