/**
 * TEST DOUBLE for a Redfish BMC (no Redfish emulator exists in Debian 12): a small HTTP(S) server on
 * loopback with a service root, a Systems collection, ComputerSystem resources with PowerState, Boot
 * override and ETags, and the #ComputerSystem.Reset action. Basic authentication on everything but
 * the service root, as real BMCs do.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';

export interface SimSystem { power: 'On' | 'Off'; target: string; enabled: string; boots: number; etag: number }

export interface RedfishSimOptions {
  systems?: string[];
  user?: string;
  pass?: string;
  /** ResetType@Redfish.AllowableValues to advertise (default: the usual set). */
  allowedResets?: string[];
  /** Serve HTTPS with a fresh self-signed certificate (as most BMCs do). */
  tls?: boolean;
}

export interface RedfishSim {
  url: string;
  systems: Map<string, SimSystem>;
  requests: Array<{ method: string; path: string; ifMatch?: string; body?: unknown }>;
  /** Answer the next `count` requests with `status` (a busy or failing BMC). */
  failNext(status: number, count?: number): void;
  stop(): Promise<void>;
}

const RESETS = ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'GracefulRestart', 'PowerCycle'];

function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-redfish-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startRedfishSim(opts: RedfishSimOptions = {}): Promise<RedfishSim> {
  const user = opts.user ?? 'root';
  const pass = opts.pass ?? 'calvin';
  const systems = new Map<string, SimSystem>((opts.systems ?? ['1']).map((id) => [id, { power: 'Off', target: 'None', enabled: 'Disabled', boots: 0, etag: 1 }]));
  const requests: RedfishSim['requests'] = [];
  let failing = { status: 0, count: 0 };

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };
  const systemJson = (id: string, s: SimSystem) => ({
    '@odata.id': `/redfish/v1/Systems/${id}`, '@odata.etag': `W/"${s.etag}"`, Id: id, PowerState: s.power,
    Boot: {
      BootSourceOverrideEnabled: s.enabled, BootSourceOverrideTarget: s.target,
      'BootSourceOverrideTarget@Redfish.AllowableValues': ['None', 'Pxe', 'Hdd', 'Cd', 'BiosSetup'],
    },
    Actions: { '#ComputerSystem.Reset': {
      target: `/redfish/v1/Systems/${id}/Actions/ComputerSystem.Reset`,
      'ResetType@Redfish.AllowableValues': opts.allowedResets ?? RESETS,
    } },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try { body = raw ? JSON.parse(raw) : undefined; } catch { send(res, 400, { error: 'bad json' }); return; }
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '') || '/';
    requests.push({ method: req.method ?? '', path, ifMatch: req.headers['if-match'] as string | undefined, body });
    if (failing.count > 0) { failing.count--; send(res, failing.status, { error: 'injected' }); return; }
    if (path === '/redfish/v1') { send(res, 200, { '@odata.id': '/redfish/v1/', Systems: { '@odata.id': '/redfish/v1/Systems' } }); return; }
    const expected = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    if (req.headers.authorization !== expected) { send(res, 401, { error: 'unauthorized' }, { 'WWW-Authenticate': 'Basic realm="redfish"' }); return; }
    if (path === '/redfish/v1/Systems' && req.method === 'GET') {
      send(res, 200, { Members: [...systems.keys()].map((id) => ({ '@odata.id': `/redfish/v1/Systems/${id}` })), 'Members@odata.count': systems.size });
      return;
    }
    const m = /^\/redfish\/v1\/Systems\/([^/]+)(\/Actions\/ComputerSystem\.Reset)?$/.exec(path);
    const s = m ? systems.get(m[1]) : undefined;
    if (!m || !s) { send(res, 404, { error: 'not found' }); return; }
    if (!m[2] && req.method === 'GET') { send(res, 200, systemJson(m[1], s), { ETag: `W/"${s.etag}"` }); return; }
    if (!m[2] && req.method === 'PATCH') {
      if (req.headers['if-match'] && req.headers['if-match'] !== `W/"${s.etag}"`) { send(res, 412, { error: 'etag' }); return; }
      const boot = (body as { Boot?: { BootSourceOverrideTarget?: string; BootSourceOverrideEnabled?: string } })?.Boot;
      if (!boot?.BootSourceOverrideTarget) { send(res, 400, { error: 'no Boot' }); return; }
      s.target = boot.BootSourceOverrideTarget;
      s.enabled = boot.BootSourceOverrideEnabled ?? s.enabled;
      s.etag++;
      send(res, 204);
      return;
    }
    if (m[2] && req.method === 'POST') {
      const type = (body as { ResetType?: string })?.ResetType ?? '';
      if (!(opts.allowedResets ?? RESETS).includes(type)) { send(res, 400, { error: `ResetType ${type}` }); return; }
      if (['On', 'ForceOn'].includes(type)) { if (s.power === 'Off') s.boots++; s.power = 'On'; }
      else if (['ForceOff', 'GracefulShutdown'].includes(type)) s.power = 'Off';
      else { s.boots++; s.power = 'On'; }
      s.etag++;
      send(res, 204);
      return;
    }
    send(res, 405, { error: 'method' });
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => { handle(req, res).catch(() => send(res, 500)); };
  const server: Server = opts.tls ? createHttpsServer(selfSignedCert(), listener) : createHttpServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    systems,
    requests,
    failNext(status, count = 1) { failing = { status, count }; },
    stop: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** A TCP listener that accepts connections and never answers: a hung BMC. */
export async function startSilentListener(): Promise<{ address: string; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createHttpServer(() => { /* never answer */ });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
