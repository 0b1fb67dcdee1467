/**
 * The local admin channel: a Unix socket in the data directory (mode 0600, so only who may read the
 * data directory may use it). While a region runs on the embedded store, it owns the database files;
 * `plinth createadmin` / `apikey` / `status` then reach it through this socket. One JSON line per
 * request and per answer.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { PlinthError } from '../../domain/errors.ts';
import type { ServiceContext } from '../../services/context.ts';
import { apiKeys, createAdmin } from '../../services/admin.ts';
import { machineCountsByStatus } from '../../services/machines/queries.ts';
import { rackSecret } from '../../services/racks/secret.ts';

export type AdminRequest =
  | { cmd: 'createadmin'; username: string; password: string; email: string; sshKeys?: string }
  | { cmd: 'apikey'; username: string; generate?: boolean; delete?: string; name?: string }
  | { cmd: 'status' }
  | { cmd: 'rack-secret'; rotate?: boolean };

export async function runAdmin(svc: ServiceContext, req: AdminRequest, info: () => Record<string, unknown>): Promise<unknown> {
  switch (req.cmd) {
    case 'createadmin': return createAdmin(svc, req);
    case 'apikey': return apiKeys(svc, req);
    case 'rack-secret': return rackSecret(svc, req);
    case 'status': return { ...info(), machines: Object.fromEntries((await machineCountsByStatus(svc.db)).map((r) => [r.status, r.n])) };
    default: throw new PlinthError('bad_request', 'Unknown admin command.');
  }
}

export function listenAdminSocket(path: string, svc: ServiceContext, info: () => Record<string, unknown>): Promise<Server> {
  if (existsSync(path)) unlinkSync(path);
  const server = createServer((sock) => {
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', async (chunk) => {
      buf += chunk;
      if (buf.length > 1 << 20) return sock.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      let answer: unknown;
      try {
        answer = { ok: true, result: await runAdmin(svc, JSON.parse(line) as AdminRequest, info) };
      } catch (err) {
        const e = err as PlinthError;
        answer = { ok: false, error: e.fields ? Object.entries(e.fields).map(([k, v]) => `${k}: ${v.join(' ')}`).join('\n') : e.message };
      }
      sock.end(JSON.stringify(answer) + '\n');
    });
    sock.on('error', () => undefined);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => { chmodSync(path, 0o600); resolve(server); });
  });
}

/** Sends one request; resolves undefined when no region is listening on the socket. */
export function callAdminSocket(path: string, req: AdminRequest): Promise<{ ok: boolean; result?: unknown; error?: string } | undefined> {
  return new Promise((resolve) => {
    if (!existsSync(path)) return resolve(undefined);
    const sock = createConnection(path);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (c) => { buf += c; });
    sock.on('end', () => { try { resolve(JSON.parse(buf)); } catch { resolve(undefined); } });
    sock.on('error', () => resolve(undefined));
  });
}
