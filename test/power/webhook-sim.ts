/**
 * TEST DOUBLE for a machine behind power webhooks: an HTTP server on loopback with POST /on, POST /off
 * and GET /status answering `{"status": "running"|"stopped"}` (MAAS's default regexes match those).
 * It accepts a Bearer token or Basic credentials. `offDelayMs` makes power-off take effect late, as a
 * real machine shutting down does.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface WebhookSimOptions { user?: string; pass?: string; token?: string; offDelayMs?: number }

export interface WebhookSim {
  url: string;
  state: { power: 'on' | 'off'; boots: number };
  requests: Array<{ method: string; path: string; authorization?: string }>;
  /** Answer the next `count` requests with `status`. */
  failNext(status: number, count?: number): void;
  /** Make GET /status answer this body instead of the real state. */
  statusBody?: string;
  stop(): Promise<void>;
}

export async function startWebhookSim(opts: WebhookSimOptions = {}): Promise<WebhookSim> {
  const accepted = new Set<string>();
  if (opts.token) accepted.add(`Bearer ${opts.token}`);
  if (opts.user) accepted.add(`Basic ${Buffer.from(`${opts.user}:${opts.pass ?? ''}`).toString('base64')}`);
  let failing = { status: 0, count: 0 };
  const timers = new Set<NodeJS.Timeout>();
  const sim: WebhookSim = {
    url: '',
    state: { power: 'off', boots: 0 },
    requests: [],
    failNext(status, count = 1) { failing = { status, count }; },
    stop: async () => {},
  };
  const reply = (res: ServerResponse, status: number, body: string) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(body); };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      sim.requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
      if (failing.count > 0) { failing.count--; reply(res, failing.status, '{"error":"injected"}'); return; }
      if (accepted.size && !accepted.has(req.headers.authorization ?? '')) { reply(res, 401, '{"error":"unauthorized"}'); return; }
      if (path === '/status' && req.method === 'GET') {
        reply(res, 200, sim.statusBody ?? JSON.stringify({ status: sim.state.power === 'on' ? 'running' : 'stopped' }));
      } else if (path === '/on' && req.method === 'POST') {
        if (sim.state.power === 'off') sim.state.boots++;
        sim.state.power = 'on';
        reply(res, 200, '{"result":"ok"}');
      } else if (path === '/off' && req.method === 'POST') {
        if (opts.offDelayMs) {
          const t = setTimeout(() => { timers.delete(t); sim.state.power = 'off'; }, opts.offDelayMs);
          timers.add(t);
        } else sim.state.power = 'off';
        reply(res, 200, '{"result":"ok"}');
      } else reply(res, 404, '{"error":"not found"}');
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sim.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sim.stop = () => new Promise<void>((r) => {
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.destroy();
    server.close(() => r());
  });
  return sim;
}
