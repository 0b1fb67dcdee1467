/**
 * The racks connected to this region process: by system_id, what the rack told us in hello (its
 * interfaces, the power types it can drive), where it connects from, when it connected and was last
 * heard. Calls and pushes to a rack go through here. Events: 'connected' (systemId) after hello,
 * 'disconnected' (systemId, reason) when its link is gone.
 */
import { EventEmitter } from 'node:events';
import { LinkCallError, type LinkPeer } from '../rack/link/peer.ts';
import { CLOSE, type RackInterface } from '../rack/link/protocol.ts';

export interface ConnectedRack {
  systemId: string;
  hostname: string;
  version: string;
  interfaces: RackInterface[];
  /** Power types the rack said it can drive; undefined when it did not say. */
  powerTypes: string[] | undefined;
  remoteAddress: string;
  connectedAt: Date;
  /** The secret the link authenticated with (rotation drops links on an older one). */
  secret: string;
  peer: LinkPeer;
}

export interface RackLinkInfo { system_id: string; hostname: string; version: string; remote_address: string; connected_at: string; last_seen: string }

export class RackRegistry extends EventEmitter {
  private readonly racks = new Map<string, ConnectedRack>();

  /** Registers a rack's link; an older link of the same rack is closed. */
  add(rack: ConnectedRack): void {
    const old = this.racks.get(rack.systemId);
    this.racks.set(rack.systemId, rack);
    if (old && old.peer !== rack.peer) old.peer.close(CLOSE.replaced, 'replaced by a newer link of the same rack');
    rack.peer.once('close', (_code: number, reason: string) => {
      if (this.racks.get(rack.systemId)?.peer !== rack.peer) return;
      this.racks.delete(rack.systemId);
      this.emit('disconnected', rack.systemId, reason);
    });
    this.emit('connected', rack.systemId);
  }

  get(systemId: string): ConnectedRack | undefined {
    const r = this.racks.get(systemId);
    return r?.peer.isOpen ? r : undefined;
  }

  list(): ConnectedRack[] { return [...this.racks.values()].filter((r) => r.peer.isOpen); }

  /** What is connected where, for status output (no secrets). */
  describe(): RackLinkInfo[] {
    return this.list().map((r) => ({
      system_id: r.systemId, hostname: r.hostname, version: r.version, remote_address: r.remoteAddress,
      connected_at: r.connectedAt.toISOString(), last_seen: r.peer.lastSeen.toISOString(),
    }));
  }

  call(systemId: string, method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    const r = this.get(systemId);
    if (!r) return Promise.reject(new LinkCallError('disconnected', `Rack ${systemId} is not connected to this region.`, true));
    return r.peer.call(method, params, timeoutMs);
  }

  push(systemId: string, method: string, params: unknown): boolean {
    const r = this.get(systemId);
    r?.peer.push(method, params);
    return !!r;
  }

  drop(systemId: string, code: number, reason: string): void {
    this.racks.get(systemId)?.peer.close(code, reason);
  }

  /** Drops every link for which `which` holds (all by default). */
  dropAll(code: number, reason: string, which: (r: ConnectedRack) => boolean = () => true): void {
    for (const r of [...this.racks.values()]) if (which(r)) r.peer.close(code, reason);
  }
}
