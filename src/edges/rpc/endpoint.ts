/**
 * The region's end of rack links: WebSocket upgrades at `/MAAS/rpc/rack` on the region's HTTP server.
 * A connection must authenticate first (protocol.ts; nothing else is read before that, and the
 * handshake frames are tiny), then say hello, which registers the rack (services/racks/register.ts)
 * and puts its link in the registry. After that the rack may ask for boot decisions and report
 * leases, service health and changes of its interfaces (`interfaces.report`: written as hello writes
 * them, then `onInterfacesChanged` so the rack's DHCP service is re-derived at once); the region
 * pushes DHCP configuration and sends power commands.
 *
 * Every heartbeat period the endpoint refreshes `last_seen` of its racks in the store and re-reads
 * the shared secret: links authenticated with a secret that is no longer current are dropped, which
 * makes a rotation done on any region (or by the CLI) take effect on all of them.
 */
import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { PlinthError } from '../../domain/errors.ts';
import type { ServiceContext } from '../../services/context.ts';
import { decideBoot } from '../../services/boot/decide.ts';
import { interfacesChanged } from '../../services/racks/interfaces.ts';
import { registerRack } from '../../services/racks/register.ts';
import { reportRackInterfaces } from '../../services/racks/report-interfaces.ts';
import { ensureRackSecret, getRackSecret } from '../../services/racks/secret.ts';
import { forgetRegionLinks, rackDisconnected, rackSeen, recordServices } from '../../services/racks/status.ts';
import { recordLeases } from '../../services/racks/leases.ts';
import { rememberLeases } from '../../services/racks/lease-view.ts';
import { LinkCallError, LinkPeer } from '../rack/link/peer.ts';
import {
  authFrame, bootRequest, CLOSE, DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_FRAME_BYTES, digest, digestMatches, helloParams, interfacesReport,
  leasesReport, newNonce, parseFrame, RACK_LINK_PATH, servicesReport,
} from '../rack/link/protocol.ts';
import type { RackRegistry } from './registry.ts';

export interface RackEndpointOptions {
  svc: ServiceContext;
  server: Server;
  registry: RackRegistry;
  /** This region process's name in rack_status (default host:pid=N:random). */
  region?: string;
  heartbeatMs?: number;
  deadMs?: number;
  callTimeoutMs?: number;
  maxFrameBytes?: number;
  /** Time a new connection has to authenticate and say hello (default 10 s). */
  handshakeTimeoutMs?: number;
  /**
   * A linked rack's interfaces changed (interfaces.report): the region re-derives DHCP services
   * (DhcpPusher.nudge), since what a rack serves depends on its interfaces and their subnets.
   */
  onInterfacesChanged?: (systemId: string) => void;
  /** Adds further calls to each link (image sync: images-link.ts); `systemId()` is set after hello. */
  extend?: (peer: LinkPeer, systemId: () => string | undefined) => void;
}

export interface RackEndpoint { region: string; close(): Promise<void> }

const HANDSHAKE_FRAME_LIMIT = 1024;

/** Errors of use cases as the link carries them: kind as code, the user-facing message. */
function asLinkError(err: unknown): LinkCallError {
  if (err instanceof LinkCallError) return err;
  if (err instanceof PlinthError) return new LinkCallError(err.kind, err.message, err.kind === 'unavailable');
  const e = err as { code?: unknown; message?: unknown };
  if (e && typeof e.code === 'string' && typeof e.message === 'string') return new LinkCallError(e.code, e.message, false);
  return new LinkCallError('internal', 'The region failed to handle the call.', true);
}

const badParams = (method: string) => new LinkCallError('bad_request', `Invalid parameters for ${method}.`, false);

export async function attachRackEndpoint(o: RackEndpointOptions): Promise<RackEndpoint> {
  const { svc, registry } = o;
  const region = o.region ?? `${osHostname()}:pid=${process.pid}:${randomBytes(3).toString('hex')}`;
  const heartbeatMs = o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  let secret = (await ensureRackSecret(svc)).secret;
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES });
  const live = new Set<WebSocket>();

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== RACK_LINK_PATH) {
      // Other upgrade listeners may own other paths; when there are none, answer rather than hang.
      if (o.server.listenerCount('upgrade') === 1) { socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n'); socket.destroy(); }
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req.socket.remoteAddress ?? ''));
  };
  o.server.on('upgrade', onUpgrade);

  function accept(ws: WebSocket, remoteAddress: string) {
    live.add(ws);
    ws.once('close', () => live.delete(ws));
    ws.on('error', () => undefined);
    const nonce = newNonce();
    // Read per connection, so a rotation done anywhere applies to the next connection at once.
    const secretNow = getRackSecret(svc.db).then((s) => s ?? secret, () => secret);
    const refuse = (why: string) => {
      svc.log.warn({ remoteAddress, why }, 'rack link refused');
      ws.close(CLOSE.authFailed, 'authentication failed');
      setTimeout(() => ws.terminate(), 1000).unref();
    };
    const timer = setTimeout(() => refuse('no authentication in time'), o.handshakeTimeoutMs ?? 10_000);
    timer.unref();
    ws.once('close', () => clearTimeout(timer));
    ws.on('message', async function onAuth(data, isBinary) {
      ws.off('message', onAuth);
      const size = Buffer.isBuffer(data) ? data.length : HANDSHAKE_FRAME_LIMIT + 1;
      const f = !isBinary && size <= HANDSHAKE_FRAME_LIMIT ? parseFrame(authFrame, data) : null;
      if (!f) return refuse('the first frame was not an authentication');
      const authSecret = await secretNow;
      if (!digestMatches(authSecret, 'rack', nonce, f.digest)) return refuse('wrong shared secret');
      if (ws.readyState !== ws.OPEN) return;
      // Frames the rack sends before it has read auth-ok must not be lost: attach the link first.
      linkUp(ws, remoteAddress, authSecret, timer);
      ws.send(JSON.stringify({ type: 'auth-ok', digest: digest(authSecret, 'region', f.nonce) }));
    });
    void secretNow.then(() => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'challenge', nonce })); });
  }

  function linkUp(ws: WebSocket, remoteAddress: string, authSecret: string, handshake: NodeJS.Timeout) {
    const peer = new LinkPeer(ws, { label: `the rack at ${remoteAddress}`, heartbeatMs, deadMs: o.deadMs, callTimeoutMs: o.callTimeoutMs });
    let systemId: string | undefined;
    peer.on('protocol-error', (why: string) => svc.log.warn({ remoteAddress, system_id: systemId, why }, 'rack link protocol error'));
    const registered = <T>(fn: (sid: string, params: unknown) => Promise<T>) => async (params: unknown) => {
      if (!systemId) throw new LinkCallError('not_registered', 'Say hello first.', false);
      try { return await fn(systemId, params); } catch (err) { throw asLinkError(err); }
    };
    peer.handle('hello', async (raw) => {
      const p = helloParams.safeParse(raw);
      if (!p.success) throw badParams('hello');
      if (systemId) throw new LinkCallError('bad_request', 'This link already said hello.', false);
      let r;
      try { r = await registerRack(svc, p.data, { region }); } catch (err) { throw asLinkError(err); }
      clearTimeout(handshake);
      systemId = r.system_id;
      registry.add({
        systemId: r.system_id, hostname: r.hostname, version: p.data.version, interfaces: p.data.interfaces, powerTypes: p.data.power_types,
        remoteAddress, connectedAt: new Date(), secret: authSecret, peer,
      });
      return { system_id: r.system_id };
    });
    peer.handle('boot.decide', registered(async (_sid, raw) => {
      const p = bootRequest.safeParse(raw);
      if (!p.success) throw badParams('boot.decide');
      return decideBoot(svc, p.data);
    }));
    peer.handle('services.report', registered(async (sid, raw) => {
      const p = servicesReport.safeParse(raw);
      if (!p.success) throw badParams('services.report');
      await recordServices(svc, sid, p.data);
      return { ok: true };
    }));
    peer.handle('leases.report', registered(async (sid, raw) => {
      const p = leasesReport.safeParse(raw);
      if (!p.success) throw badParams('leases.report');
      await rememberLeases(svc, sid, p.data.leases);
      return recordLeases(svc, p.data.leases);
    }));
    peer.handle('interfaces.report', registered(async (sid, raw) => {
      const p = interfacesReport.safeParse(raw);
      if (!p.success) throw badParams('interfaces.report');
      const change = await reportRackInterfaces(svc, sid, p.data.interfaces);
      const entry = registry.get(sid);
      if (entry?.peer === peer) entry.interfaces = p.data.interfaces;
      if (interfacesChanged(change)) {
        svc.log.info({ system_id: sid, ...change }, 'rack interfaces changed');
        o.onInterfacesChanged?.(sid);
      }
      return change;
    }));
    o.extend?.(peer, () => systemId);
    peer.once('close', (code: number, reason: string) => {
      if (!systemId) return;
      svc.log.info({ system_id: systemId, code, reason }, 'rack link closed');
      rackDisconnected(svc, systemId, region).catch((err) => svc.log.warn({ err: (err as Error).message }, 'could not record a rack disconnect'));
    });
  }

  // Heartbeat bookkeeping: last_seen in the store, and the current secret.
  const tick = setInterval(async () => {
    try {
      const current = await getRackSecret(svc.db);
      if (current && current !== secret) secret = current;
      registry.dropAll(CLOSE.secretRotated, 'the shared secret was rotated', (r) => r.secret !== secret);
      for (const r of registry.list()) {
        await rackSeen(svc, r.systemId, region);
        // A link that closed while its heartbeat was being written must not be left looking live
        // (the disconnect's own write may have landed first): failover keys on it.
        if (!registry.get(r.systemId)) await rackDisconnected(svc, r.systemId, region);
      }
    } catch (err) {
      svc.log.warn({ err: (err as Error).message }, 'rack link bookkeeping failed');
    }
  }, heartbeatMs);
  tick.unref();
  await forgetRegionLinks(svc, region);

  return {
    region,
    async close() {
      clearInterval(tick);
      o.server.off('upgrade', onUpgrade);
      const gone = registry.list().map((r) => r.systemId);
      registry.dropAll(CLOSE.shutdown, 'region stopping');
      for (const ws of live) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const sid of gone) await rackDisconnected(svc, sid, region).catch(() => undefined);
    },
  } satisfies RackEndpoint;
}

/** Makes a rotation take effect on this region's links immediately. */
export function dropLinksNotOn(registry: RackRegistry, secret: string): void {
  registry.dropAll(CLOSE.secretRotated, 'the shared secret was rotated', (r) => r.secret !== secret);
}
