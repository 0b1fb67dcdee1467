/**
 * One read transfer: the sending side of RFC 1350 with options (RFC 2347), sliding windows
 * (RFC 7440) and the duplicate-ACK rule of RFC 1123 §4.2.3.1.
 *
 * The transfer owns its UDP socket, whose port is the server's transfer ID (RFC 1350 §4). States:
 *
 *   oack  an OACK was sent; waiting for ACK 0 (RFC 2347) — or an ERROR from a client that declines;
 *   data  DATA blocks in flight; waiting for the ACK that moves the window;
 *   done  finished, failed or aborted; the socket is closed.
 *
 * Windows (go-back-N, RFC 7440 §4): up to `windowSize` blocks are sent back to back; an ACK for block
 * n acknowledges every block up to n and the sender continues with n+1, resending whatever followed n.
 * With windowSize 1 this is exactly RFC 1350's lock-step.
 *
 * Sorcerer's Apprentice (RFC 1123 §4.2.3.1): a duplicate ACK (for the block before the window) is
 * ignored; only the retransmission timer resends. ACKs for blocks never sent are strays and ignored.
 *
 * Block numbers are 16 bits and roll over from 65535 to 0 (what tftp-hpa, curl, iPXE and U-Boot
 * expect), so files may have any number of blocks. Internally blocks are numbered from 1 without
 * wrapping; an ACK's 16-bit number is mapped to the one block in [base − 1, highest sent] that has
 * it — unique because that span is at most windowSize + 1 ≤ 65536 long.
 *
 * A packet from any other address or port is answered with ERROR 5 and does not disturb the transfer
 * (RFC 1350 §4); a malformed or unexpected packet from the peer ends it with ERROR 4 (RFC 1350 §7);
 * an ERROR from the peer ends it silently (errors are never acknowledged).
 */
import type { RemoteInfo, Socket } from 'node:dgram';
import type { Remote } from './backend.ts';
import type { BlockSource } from './blocks.ts';
import { decodePacket, encodeData, encodeError, encodeOack, ERROR_TEXT, ErrorCode, Opcode, type OptionPair } from './packet.ts';
import { Rto, type RtoConfig } from './rto.ts';

export interface TransferTiming extends RtoConfig {
  /** Retransmissions of one round without progress before the transfer is abandoned. */
  maxRetries: number;
}

/** Live counters shared by all transfers of a server. */
export interface TransferCounters {
  bytesSent: number;
  packetsSent: number;
  retransmits: number;
}

export interface TransferSetup {
  socket: Socket;
  peer: Remote;
  source: BlockSource;
  blockSize: number;
  windowSize: number;
  /** Options to acknowledge; empty → no OACK, the transfer starts with DATA 1. */
  oack: readonly OptionPair[];
  /** The client's timeout option (RFC 2349), which fixes the retransmission timeout. */
  timeoutSec: number | null;
  timing: TransferTiming;
  counters: TransferCounters;
  /** Rate limit for ERROR replies to strangers (unknown TIDs); true → may answer. */
  mayAnswerStranger: () => boolean;
}

export type FailureReason = 'timeout' | 'peer-error' | 'protocol-error' | 'read-error' | 'aborted';

export interface TransferResult {
  /** File octets acknowledged by the client. */
  bytes: number;
  /** Blocks acknowledged. */
  blocks: number;
  retransmits: number;
  durationMs: number;
}
export type TransferOutcome = ({ ok: true } & TransferResult) | ({ ok: false; reason: FailureReason; message: string } & TransferResult);

type State = 'oack' | 'data' | 'done';

export class Transfer {
  private state: State = 'data';
  /** First unacknowledged block (blocks count from 1, without wrapping). */
  private base = 1;
  /** Encoded DATA packets for blocks base, base+1, … (read but not yet acknowledged). */
  private readonly window: Buffer[] = [];
  private lastBlock: number | null = null;
  private sentUpTo = 0;
  private retries = 0;
  private roundStart = 0;
  private roundRetransmitted = false;
  private timer: NodeJS.Timeout | null = null;
  private armedMs = 0;
  private filling = false;
  private refill = false;
  private bytes = 0;
  private retransmits = 0;
  private readonly rto: Rto;
  private readonly startedAt = Date.now();
  private readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => this.receive(msg, rinfo);
  private readonly onSocketError = (err: Error): void => this.fail('read-error', `socket: ${err.message}`, null);

  constructor(private readonly setup: TransferSetup, private readonly onEnd: (outcome: TransferOutcome) => void) {
    this.rto = new Rto(setup.timing, setup.timeoutSec === null ? null : setup.timeoutSec * 1000);
  }

  start(): void {
    this.setup.socket.on('message', this.onMessage);
    this.setup.socket.on('error', this.onSocketError);
    if (this.setup.oack.length > 0) {
      this.state = 'oack';
      this.sendOack();
      this.startRound(false);
    } else {
      this.arm(); // also bounds a backend stream that never delivers the first block
      this.transmit();
    }
  }

  /** Ends the transfer now (server shutdown); the peer is told with ERROR 0. */
  abort(message: string): void {
    this.fail('aborted', message, ErrorCode.NOT_DEFINED);
  }

  get done(): boolean {
    return this.state === 'done';
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.state === 'done') return;
    const { peer } = this.setup;
    if (rinfo.address !== peer.address || rinfo.port !== peer.port) {
      this.answerStranger(msg, rinfo);
      return;
    }
    const decoded = decodePacket(msg);
    if (!decoded.ok) {
      // A truncated ERROR is still the peer giving up: no answer to it.
      const code = decoded.opcode === Opcode.ERROR ? null : ErrorCode.ILLEGAL_OPERATION;
      this.fail(decoded.opcode === Opcode.ERROR ? 'peer-error' : 'protocol-error', decoded.reason, code);
      return;
    }
    const packet = decoded.packet;
    switch (packet.op) {
      case Opcode.ACK:
        this.acknowledged(packet.block);
        return;
      case Opcode.ERROR:
        this.fail('peer-error', `peer sent ERROR ${packet.code}: ${packet.message}`, null);
        return;
      default:
        this.fail('protocol-error', `unexpected opcode ${packet.op} from the peer`, ErrorCode.ILLEGAL_OPERATION);
    }
  }

  private answerStranger(msg: Buffer, rinfo: RemoteInfo): void {
    const isError = msg.length >= 2 && msg.readUInt16BE(0) === Opcode.ERROR;
    if (isError || rinfo.port === 0 || !this.setup.mayAnswerStranger()) return;
    this.send(encodeError(ErrorCode.UNKNOWN_TID, ERROR_TEXT[ErrorCode.UNKNOWN_TID]), rinfo);
  }

  private acknowledged(wire: number): void {
    if (this.state === 'oack') {
      if (wire !== 0) return;
      this.progress();
      this.state = 'data';
      this.transmit();
      return;
    }
    if (this.state !== 'data') return;
    const before = this.base - 1;
    const delta = (wire - (before & 0xffff) + 0x10000) & 0xffff;
    if (delta === 0) return; // duplicate ACK: never answered (RFC 1123 §4.2.3.1)
    const acked = before + delta;
    if (acked > this.sentUpTo) return; // a block never sent: stray
    this.progress();
    for (const packet of this.window.splice(0, delta)) this.bytes += packet.length - 4;
    this.base = acked + 1;
    if (acked === this.lastBlock) {
      this.finish({ ok: true, ...this.result() });
      return;
    }
    this.transmit();
  }

  /** The peer moved forward: sample the round trip (Karn), reset retries, restart the timer. */
  private progress(): void {
    if (!this.roundRetransmitted) this.rto.sample(Date.now() - this.roundStart);
    this.retries = 0;
    this.arm();
  }

  /**
   * Reads blocks until the window is full (or the file ends), then sends the window. From the packet
   * cache the window fills synchronously — no promise per ACK; otherwise see fillAndSend.
   */
  private transmit(): void {
    if (this.filling) { this.refill = true; return; }
    const { source, windowSize } = this.setup;
    if (source.packet !== undefined) {
      while (this.window.length < windowSize && this.lastBlock === null) this.push(source.packet(this.base + this.window.length));
      this.sendWindow();
      return;
    }
    void this.fillAndSend();
  }

  private async fillAndSend(): Promise<void> {
    this.filling = true;
    try {
      do {
        this.refill = false;
        await this.fill();
      } while (this.refill && this.state === 'data');
    } catch (err) {
      this.fail('read-error', `reading the file: ${(err as Error).message}`, ErrorCode.NOT_DEFINED);
      return;
    } finally {
      this.filling = false;
    }
    this.sendWindow();
  }

  private sendWindow(): void {
    if (this.state !== 'data') return;
    let resent = false;
    for (let i = 0; i < this.window.length; i++) if (this.sendBlock(this.window[i], this.base + i)) resent = true;
    this.startRound(resent);
  }

  private async fill(): Promise<void> {
    const { source, windowSize } = this.setup;
    while (this.window.length < windowSize && this.lastBlock === null && this.state === 'data') {
      const block = await source.next();
      if (this.state !== 'data') return;
      // base + window.length is invariant under ACKs that arrive meanwhile (they move both).
      this.push(encodeData(this.base + this.window.length, block));
    }
  }

  /** Appends the DATA packet of the next block to the window; a short one is the last. */
  private push(packet: Buffer): void {
    this.window.push(packet);
    if (packet.length - 4 < this.setup.blockSize) this.lastBlock = this.base + this.window.length - 1;
  }

  /** Sends one block; true when it had been sent before (a retransmission). */
  private sendBlock(packet: Buffer, n: number): boolean {
    const { counters, peer } = this.setup;
    this.send(packet, peer);
    counters.bytesSent += packet.length - 4;
    if (n <= this.sentUpTo) {
      this.retransmits++;
      counters.retransmits++;
      return true;
    }
    this.sentUpTo = n;
    return false;
  }

  private sendOack(): void {
    this.send(encodeOack(this.setup.oack), this.setup.peer);
  }

  private startRound(retransmitted: boolean): void {
    this.roundStart = Date.now();
    this.roundRetransmitted = retransmitted;
    this.arm();
  }

  private arm(): void {
    const ms = this.rto.ms;
    // Re-arming happens for every ACK; refresh() reuses the timer when the timeout is unchanged.
    if (this.timer !== null && this.armedMs === ms) { this.timer.refresh(); return; }
    if (this.timer !== null) clearTimeout(this.timer);
    this.armedMs = ms;
    this.timer = setTimeout(() => this.expired(), ms);
  }

  private expired(): void {
    this.timer = null;
    if (this.state === 'done') return;
    if (++this.retries > this.setup.timing.maxRetries) {
      if (this.filling) this.fail('read-error', 'the file stopped delivering data', ErrorCode.NOT_DEFINED);
      else this.fail('timeout', `no answer after ${this.setup.timing.maxRetries} retransmissions`, null);
      return;
    }
    this.rto.backoff();
    this.roundRetransmitted = true;
    if (this.state === 'oack') {
      this.sendOack();
      this.retransmits++;
      this.setup.counters.retransmits++;
    } else {
      this.window.forEach((packet, i) => { if (this.base + i <= this.sentUpTo) this.sendBlock(packet, this.base + i); });
    }
    this.arm();
  }

  private send(packet: Buffer, to: Remote): void {
    this.setup.counters.packetsSent++;
    // Send errors (ENOBUFS, a vanished route) count as losses: the timer resends or gives up.
    // Without a callback dgram drops them silently (and saves a tick per packet).
    this.setup.socket.send(packet, to.port, to.address);
  }

  private result(): { bytes: number; blocks: number; retransmits: number; durationMs: number } {
    return { bytes: this.bytes, blocks: this.base - 1, retransmits: this.retransmits, durationMs: Date.now() - this.startedAt };
  }

  /** Ends the transfer; `code` non-null → tell the peer with that ERROR first. */
  private fail(reason: FailureReason, message: string, code: number | null): void {
    if (this.state === 'done') return;
    this.finish({ ok: false, reason, message, ...this.result() }, code === null ? null : encodeError(code, message));
  }

  private finish(outcome: TransferOutcome, farewell: Buffer | null = null): void {
    if (this.state === 'done') return;
    this.state = 'done';
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.window.length = 0;
    this.setup.source.close();
    const { socket, peer } = this.setup;
    socket.off('message', this.onMessage);
    const close = (): void => {
      socket.off('error', this.onSocketError);
      socket.on('error', () => undefined); // late errors of a closing socket have no one to tell
      try { socket.close(); } catch { /* already closed */ }
    };
    if (farewell === null) close();
    else { this.setup.counters.packetsSent++; socket.send(farewell, peer.port, peer.address, close); }
    this.onEnd(outcome);
  }
}
