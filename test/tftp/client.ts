/**
 * A TFTP read client for tests and the benchmark, built on the server's codec: RFC 1350 receiving
 * side with RFC 2347 options and RFC 7440 windows (ACK after `windowsize` in-order blocks, after the
 * last block, or — once — for the last in-order block when a gap or a duplicate shows up).
 *
 * Hooks simulate a lossy network for the tests: `dropAck` suppresses chosen ACKs, `dropData` ignores
 * chosen DATA packets as if lost, `ackCopies` duplicates every ACK, `declineOack` answers an OACK with
 * ERROR 8, `silentAfter` stops answering after a block.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { decodePacket, encodeAck, encodeError, encodeRequest, Opcode, type OptionPair } from '../../src/edges/rack/tftp/packet.ts';

export interface GetOptions {
  port: number;
  host?: string;
  file: string;
  mode?: string;
  options?: readonly OptionPair[];
  /** Client retransmission timeout, ms (default 1000) and retries before giving up (default 5). */
  timeoutMs?: number;
  retries?: number;
  /** Return true to "lose" the ACK for block n (absolute, from 0 = the OACK's) on its `attempt`-th sending (from 1). */
  dropAck?: (block: number, attempt: number) => boolean;
  /** Return true to "lose" the `arrival`-th (from 1) arrival of DATA block n (absolute). */
  dropData?: (block: number, arrival: number) => boolean;
  /** Send every ACK this many times (default 1). */
  ackCopies?: number;
  /** Answer the OACK with ERROR 8 instead of ACK 0. */
  declineOack?: boolean;
  /** Stop answering once block n (absolute) has arrived (n is not acknowledged); the promise then rejects on the client's own timeout. */
  silentAfter?: number;
  /** Use this (bound) socket instead of a new one; it is not closed. */
  socket?: Socket;
}

export interface GetResult {
  data: Buffer;
  /** The OACK's options (names lower-cased), or null when the server sent none. */
  oack: Record<string, string> | null;
  serverPort: number;
  /** DATA packets received, and how many of them repeated a block already held. */
  dataPackets: number;
  duplicateData: number;
  /** Block number 0 was seen after 65535. */
  wrapped: boolean;
  acksSent: number;
  /** Packets from ports other than the transfer's. */
  strangers: number;
}

export class TftpClientError extends Error {
  constructor(message: string, readonly code: number | null) { super(message); }
}

export function udpSocket(type: 'udp4' | 'udp6' = 'udp4', address = type === 'udp4' ? '127.0.0.1' : '::1'): Promise<Socket> {
  const socket = createSocket(type);
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => { socket.off('error', reject); resolve(socket); });
  });
}

export function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => { try { socket.close(() => resolve()); } catch { resolve(); } });
}

export async function tftpGet(opts: GetOptions): Promise<GetResult> {
  const host = opts.host ?? '127.0.0.1';
  const socket = opts.socket ?? await udpSocket(host.includes(':') ? 'udp6' : 'udp4');
  const timeoutMs = opts.timeoutMs ?? 1000;
  const maxRetries = opts.retries ?? 5;
  const chunks: Buffer[] = [];
  const result: GetResult = { data: Buffer.alloc(0), oack: null, serverPort: 0, dataPackets: 0, duplicateData: 0, wrapped: false, acksSent: 0, strangers: 0 };
  let blockSize = 512;
  let windowSize = 1;
  let expected = 1; // next block wanted (absolute)
  let inWindow = 0;
  let reAcked = false; // already answered a gap/duplicate since the last progress
  let started = false;
  let retries = 0;
  let lastSent: Buffer = encodeRequest(Opcode.RRQ, opts.file, opts.mode ?? 'octet', opts.options ?? []);
  let lastTo = opts.port;
  const ackAttempts = new Map<number, number>();
  const arrivals = new Map<number, number>();
  let timer: NodeJS.Timeout | null = null;

  try {
    return await new Promise<GetResult>((resolve, reject) => {
      const send = (packet: Buffer, port: number): void => { lastSent = packet; lastTo = port; socket.send(packet, port, host); };
      const ack = (n: number): void => {
        const attempt = (ackAttempts.get(n) ?? 0) + 1;
        ackAttempts.set(n, attempt);
        const packet = encodeAck(n);
        lastSent = packet; lastTo = result.serverPort;
        if (opts.dropAck?.(n, attempt)) return;
        for (let i = 0; i < (opts.ackCopies ?? 1); i++) { socket.send(packet, result.serverPort, host); result.acksSent++; }
      };
      const arm = (): void => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          if (++retries > maxRetries) { reject(new TftpClientError(`client timeout waiting for block ${expected}`, null)); return; }
          if (opts.silentAfter !== undefined && expected > opts.silentAfter) { arm(); return; }
          socket.send(lastSent, lastTo, host);
          arm();
        }, timeoutMs);
      };
      const finish = (): void => {
        result.data = Buffer.concat(chunks);
        resolve(result);
      };
      const onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
        if (started && rinfo.port !== result.serverPort) { result.strangers++; return; }
        const decoded = decodePacket(msg);
        if (!decoded.ok) { reject(new TftpClientError(`bad packet from server: ${decoded.reason}`, null)); return; }
        const p = decoded.packet;
        if (!started) { started = true; result.serverPort = rinfo.port; }
        if (opts.silentAfter !== undefined && expected > opts.silentAfter) return;
        retries = 0;
        arm();
        switch (p.op) {
          case Opcode.ERROR:
            reject(new TftpClientError(`ERROR ${p.code}: ${p.message}`, p.code));
            return;
          case Opcode.OACK: {
            if (expected !== 1) return;
            if (result.oack !== null) { ack(0); return; } // our ACK 0 was lost: answer the retransmitted OACK
            result.oack = Object.fromEntries(p.options.map(([k, v]) => [k.toLowerCase(), v]));
            if (opts.declineOack) { send(encodeError(8, 'options declined'), rinfo.port); reject(new TftpClientError('declined OACK', 8)); return; }
            blockSize = Number(result.oack.blksize ?? 512);
            windowSize = Number(result.oack.windowsize ?? 1);
            ack(0);
            return;
          }
          case Opcode.DATA: {
            result.dataPackets++;
            const wantedWire = expected & 0xffff;
            if (p.block !== wantedWire) {
              const ahead = (p.block - wantedWire + 0x10000) & 0xffff;
              if (ahead < 0x8000) { /* a gap: something was lost */ } else result.duplicateData++;
              if (!reAcked) { reAcked = true; inWindow = 0; ack(expected - 1); }
              return;
            }
            const arrival = (arrivals.get(expected) ?? 0) + 1;
            arrivals.set(expected, arrival);
            if (opts.dropData?.(expected, arrival)) return;
            if (p.block === 0 && expected > 0xffff) result.wrapped = true;
            chunks.push(Buffer.from(p.data));
            expected++;
            inWindow++;
            reAcked = false;
            if (p.data.length < blockSize) { ack(expected - 1); if (timer) clearTimeout(timer); finish(); return; }
            if (opts.silentAfter !== undefined && expected > opts.silentAfter) return;
            if (inWindow >= windowSize) { inWindow = 0; ack(expected - 1); }
            return;
          }
          default:
            reject(new TftpClientError(`unexpected opcode ${p.op} from server`, null));
        }
      };
      socket.on('message', onMessage);
      socket.send(lastSent, opts.port, host);
      arm();
    });
  } finally {
    if (timer) clearTimeout(timer);
    socket.removeAllListeners('message');
    if (!opts.socket) await closeSocket(socket);
  }
}

/** Sends one datagram and collects what comes back within `waitMs`. */
export async function exchange(port: number, packet: Buffer, waitMs = 150, host = '127.0.0.1'): Promise<Array<{ msg: Buffer; port: number }>> {
  const socket = await udpSocket(host.includes(':') ? 'udp6' : 'udp4');
  const replies: Array<{ msg: Buffer; port: number }> = [];
  socket.on('message', (msg, rinfo) => replies.push({ msg, port: rinfo.port }));
  socket.send(packet, port, host);
  await new Promise((r) => setTimeout(r, waitMs));
  await closeSocket(socket);
  return replies;
}
