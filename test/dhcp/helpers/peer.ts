/**
 * Test peer for the DHCP server over real loopback UDP: crafts client requests with the
 * library's codec, plays client or relay agent, and collects the server's replies.
 */
import { createSocket, type Socket } from 'node:dgram';
import { BOOTREQUEST, MessageType, Opt } from '../../../src/edges/rack/dhcp/codes.ts';
import { decodePacket, emptyPacket, encodePacket, type DhcpPacket } from '../../../src/edges/rack/dhcp/packet.ts';
import { DhcpServer, type DhcpServerOptions, type ListenOptions } from '../../../src/edges/rack/dhcp/server.ts';
import type { LeaseEvent } from '../../../src/edges/rack/dhcp/events.ts';

export interface Received { packet: DhcpPacket; from: string; port: number; raw: Buffer }

export interface RequestSpec {
  type: number;
  mac: string;
  xid?: number;
  ciaddr?: string;
  giaddr?: string;
  flags?: number;
  /** RFC 2131 `secs` (default 0). */
  secs?: number;
  /** Options after 53, in order. */
  options?: Array<[number, Buffer | string | number[]]>;
}

let nextXid = 0x1000;

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

export function ipBytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map(Number));
}

export function craft(spec: RequestSpec): DhcpPacket {
  const p = emptyPacket(BOOTREQUEST);
  p.xid = spec.xid ?? nextXid++;
  p.flags = spec.flags ?? 0;
  p.secs = spec.secs ?? 0;
  if (spec.ciaddr) p.ciaddr = spec.ciaddr;
  if (spec.giaddr) { p.giaddr = spec.giaddr; p.hops = 1; }
  macBytes(spec.mac).copy(p.chaddr);
  p.options.set(Opt.MESSAGE_TYPE, Buffer.from([spec.type]));
  for (const [code, value] of spec.options ?? []) {
    p.options.set(code, Buffer.isBuffer(value) ? value : typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value));
  }
  return p;
}

/** A UDP endpoint on 0.0.0.0:<random> that receives replies (as client port or relay port). */
export class Peer {
  private readonly queue: Received[] = [];
  private waiters: Array<() => void> = [];
  /** When set, replies are handed to it instead of being queued (for floods). */
  sink: ((r: Received) => void) | null = null;

  private constructor(readonly socket: Socket, readonly port: number) {
    socket.on('message', (raw, rinfo) => {
      let packet: DhcpPacket;
      try { packet = decodePacket(raw); } catch { packet = emptyPacket(0); }
      if (this.sink) { this.sink({ packet, from: rinfo.address, port: rinfo.port, raw }); return; }
      this.queue.push({ packet, from: rinfo.address, port: rinfo.port, raw });
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  /** Binds address:port (default 0.0.0.0 and a random port). */
  static async open(address = '0.0.0.0', port = 0): Promise<Peer> {
    const socket = createSocket({ type: 'udp4', reuseAddr: port !== 0 });
    await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(port, address, () => resolve()); });
    return new Peer(socket, socket.address().port);
  }

  send(bytes: Buffer, port: number, address = '127.0.0.1'): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(bytes, port, address, (err) => (err ? reject(err) : resolve())));
  }

  sendPacket(pkt: DhcpPacket, port: number): Promise<void> {
    return this.send(encodePacket(pkt).bytes, port);
  }

  /** Waits for the reply with this xid. */
  async reply(xid: number, timeoutMs = 1000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((r) => r.packet.xid === xid);
      if (i >= 0) return this.queue.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply for xid ${xid.toString(16)} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Resolves true if nothing with this xid (or nothing at all) arrives within ms. */
  async silentFor(ms: number, xid?: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return !this.queue.some((r) => xid === undefined || r.packet.xid === xid);
  }

  get pending(): number {
    return this.queue.length;
  }

  drain(): Received[] {
    return this.queue.splice(0);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

export interface Harness {
  server: DhcpServer;
  /** The client-side endpoint: replies to clients (port 68 role) and to relays (port 67 role) arrive here. */
  peer: Peer;
  serverPort: number;
  events: LeaseEvent[];
  /** Sends a request and waits for its reply. */
  exchange(spec: RequestSpec, timeoutMs?: number): Promise<Received>;
  /** Sends a request and asserts nothing comes back within ms (returns true if silent). */
  silent(spec: RequestSpec, ms?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1:<random> whose client and relay ports are one test peer. */
export async function startHarness(opts: Omit<DhcpServerOptions, 'onEvent'>, listen: ListenOptions = {}): Promise<Harness> {
  const events: LeaseEvent[] = [];
  const peer = await Peer.open();
  const server = new DhcpServer({ ...opts, onEvent: (e) => events.push(e) });
  const { port } = await server.listen({ port: 0, address: '127.0.0.1', clientPort: peer.port, relayPort: peer.port, ...listen });
  return {
    server, peer, serverPort: port, events,
    async exchange(spec, timeoutMs = 1000) {
      const pkt = craft(spec);
      await peer.sendPacket(pkt, port);
      return peer.reply(pkt.xid, timeoutMs);
    },
    async silent(spec, ms = 150) {
      const pkt = craft(spec);
      await peer.sendPacket(pkt, port);
      return peer.silentFor(ms, pkt.xid);
    },
    async close() {
      await server.close();
      await peer.close();
    },
  };
}

export function messageType(r: Received): number | undefined {
  return r.packet.options.get(Opt.MESSAGE_TYPE)?.[0];
}

export const T = MessageType;
