/**
 * The TFTP server loop: one UDP socket for requests (port 69 in production), one ephemeral socket per
 * transfer (RFC 1350 §4: each side picks a transfer ID; the server's is its new port).
 *
 * Read-only. What arrives at the request port is answered as follows:
 *
 *   RRQ, well formed        → a transfer (OACK or DATA 1 from the new port), or ERROR 1 (not found),
 *                             ERROR 8 (option negotiation, RFC 2347), ERROR 4 (unknown mode),
 *                             ERROR 0 (backend failure, too many transfers)
 *   RRQ repeated by a client whose transfer is running → ignored (the transfer retransmits itself)
 *   WRQ                     → ERROR 2, access violation
 *   ERROR                   → nothing (errors are never acknowledged, RFC 1350 §7)
 *   DATA, ACK, OACK         → nothing: they belong to transfers, which never use the request port.
 *                             BSD-derived clients (tftp-hpa among them) ACK every ERROR they receive,
 *                             so refusals sent from this port come back as stray ACKs.
 *   unknown opcodes, malformed requests, runt datagrams
 *                           → one ERROR 4 (RFC 1350 §7: a packet that cannot be explained), rate limited
 *
 * Errors are sent from the request port: clients take the first answer from any port as the
 * server's (RFC 1350 §4) and a refusal needs no transfer ID.
 *
 * When listening on a wildcard address, transfer sockets bind the wildcard too and the kernel picks
 * the source address by route; bind a specific address per interface on multi-homed hosts.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { Remote, Resolved, TftpBackend } from './backend.ts';
import { bufferSource, netasciiStream, streamSource, toNetascii, type BlockSource } from './blocks.ts';
import type { RequestRejection, TftpServerEvents, TftpStats, TransferInfo } from './events.ts';
import {
  checkLimits, DEFAULT_MAX_BLOCK_SIZE_V4, DEFAULT_MAX_BLOCK_SIZE_V6, DEFAULT_MAX_WINDOW_SIZE, negotiate, oackOptions,
  type Negotiated, type OptionLimits,
} from './options.ts';
import { decodePacket, encodeError, ERROR_TEXT, ErrorCode, Opcode, type RequestPacket } from './packet.ts';
import { encodedSource, PacketCache } from './packet-cache.ts';
import { TokenBucket } from './rate-limit.ts';
import { Transfer, type TransferCounters, type TransferOutcome, type TransferTiming } from './transfer.ts';

export interface TftpServerOptions {
  backend: TftpBackend;
  /** Block size cap (RFC 2348). Default 1468 on IPv4, 1448 on IPv6: no IP fragmentation at MTU 1500. */
  maxBlockSize?: number;
  /** Window size cap (RFC 7440). Default 16. */
  maxWindowSize?: number;
  /** Retransmission timeout before the first round-trip sample, ms. Default 1000. */
  timeoutMs?: number;
  /** Bounds of the adaptive timeout, ms. Defaults 100 and 10000. */
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
  /** Retransmissions without progress before a transfer is abandoned. Default 6. */
  maxRetries?: number;
  /** Concurrent transfers (each holds one socket); beyond it requests get ERROR 0. Default 1000. */
  maxTransfers?: number;
  /** ERROR replies per second to garbage and unknown transfer IDs (see rate-limit.ts). Default 100. */
  errorRepliesPerSecond?: number;
  /** Memory for small files kept as ready DATA packets (packet-cache.ts). Default 64 MiB; 0 disables. */
  fileCacheBytes?: number;
  /** Largest file kept there. Default 8 MiB. */
  fileCacheMaxFileBytes?: number;
}

export interface ListenOptions {
  /** An IPv4 or IPv6 address literal ('0.0.0.0' / '::' for all). */
  address: string;
  /** 0 picks a free port. */
  port: number;
}

const CLOSING_MESSAGE = 'Server shutting down';

export class TftpServer extends EventEmitter<TftpServerEvents> {
  private readonly backend: TftpBackend;
  private readonly timing: TransferTiming;
  private readonly maxTransfers: number;
  private readonly limiter: TokenBucket;
  private readonly cache: PacketCache;
  private limits: OptionLimits;
  private socket: Socket | null = null;
  private bindAddress = '';
  private family: 'udp4' | 'udp6' = 'udp4';
  private closed = false;
  private nextId = 1;
  private readonly pending = new Set<string>();
  private readonly transfers = new Map<string, Transfer>();
  private readonly openSockets = new Set<Socket>();
  private readonly counters: TransferCounters = { bytesSent: 0, packetsSent: 0, retransmits: 0 };
  private readonly tally = { started: 0, completed: 0, failed: 0, rejected: 0 };

  constructor(private readonly options: TftpServerOptions) {
    super();
    this.backend = options.backend;
    this.timing = {
      initialMs: options.timeoutMs ?? 1000,
      minMs: options.minTimeoutMs ?? 100,
      maxMs: options.maxTimeoutMs ?? 10_000,
      maxRetries: options.maxRetries ?? 6,
    };
    const { initialMs, minMs, maxMs, maxRetries } = this.timing;
    if (!(minMs > 0 && minMs <= maxMs && initialMs > 0)) throw new RangeError('timeouts must satisfy 0 < minTimeoutMs <= maxTimeoutMs and timeoutMs > 0');
    if (!(Number.isInteger(maxRetries) && maxRetries >= 0)) throw new RangeError('maxRetries must be a non-negative integer');
    this.maxTransfers = options.maxTransfers ?? 1000;
    this.limiter = new TokenBucket(options.errorRepliesPerSecond ?? 100);
    this.cache = new PacketCache({ maxBytes: options.fileCacheBytes ?? 64 * 1024 * 1024, maxFileBytes: options.fileCacheMaxFileBytes ?? 8 * 1024 * 1024 });
    this.limits = checkLimits({ maxBlockSize: options.maxBlockSize ?? DEFAULT_MAX_BLOCK_SIZE_V4, maxWindowSize: options.maxWindowSize ?? DEFAULT_MAX_WINDOW_SIZE });
  }

  /** Binds the request socket; resolves with the bound address (useful with port 0). */
  async listen({ address, port }: ListenOptions): Promise<AddressInfo> {
    if (this.closed || this.socket !== null) throw new Error('TftpServer.listen: already listening or closed');
    const family = isIP(address);
    if (family === 0) throw new Error(`TftpServer.listen: not an IP address: ${address}`);
    if (family === 6 && this.options.maxBlockSize === undefined) this.limits = { ...this.limits, maxBlockSize: DEFAULT_MAX_BLOCK_SIZE_V6 };
    this.family = family === 6 ? 'udp6' : 'udp4';
    const socket = createSocket({ type: this.family });
    await bind(socket, address, port).catch((err: unknown) => { socket.close(); throw err; });
    socket.on('message', (msg, rinfo) => this.datagram(msg, rinfo));
    socket.on('error', (err) => this.emit('socketError', err));
    this.socket = socket;
    this.bindAddress = address;
    return socket.address();
  }

  address(): AddressInfo | null {
    return this.socket?.address() ?? null;
  }

  get stats(): TftpStats {
    return {
      activeTransfers: this.transfers.size,
      pendingRequests: this.pending.size,
      transfersStarted: this.tally.started,
      transfersCompleted: this.tally.completed,
      transfersFailed: this.tally.failed,
      requestsRejected: this.tally.rejected,
      ...this.counters,
    };
  }

  /** Stops listening, aborts every transfer (ERROR 0 to its client) and waits for every socket to close. */
  async close(): Promise<void> {
    this.closed = true;
    const listening = this.socket;
    this.socket = null;
    const sockets = [...this.openSockets];
    if (listening !== null) sockets.push(listening);
    const closedAll = Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve()))));
    listening?.close();
    for (const transfer of [...this.transfers.values()]) transfer.abort(CLOSING_MESSAGE);
    await closedAll;
  }

  private datagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (rinfo.port === 0) return; // nowhere to answer
    const remote: Remote = { address: rinfo.address, port: rinfo.port };
    const decoded = decodePacket(msg);
    if (!decoded.ok) {
      const op = decoded.opcode;
      if (op === null || op === Opcode.RRQ || op === Opcode.WRQ || op < Opcode.RRQ || op > Opcode.OACK) {
        this.reject(remote, null, decoded.error, `${ERROR_TEXT[decoded.error]}: ${decoded.reason}`, true);
      }
      return;
    }
    const packet = decoded.packet;
    switch (packet.op) {
      case Opcode.RRQ:
        void this.read(packet, remote);
        return;
      case Opcode.WRQ:
        this.reject(remote, packet.filename, ErrorCode.ACCESS_VIOLATION, 'Access violation: read-only server', false);
        return;
      default: // ERROR, DATA, ACK, OACK: see the module comment
        return;
    }
  }

  private async read(request: RequestPacket, remote: Remote): Promise<void> {
    const key = `${remote.address}|${remote.port}`;
    if (this.pending.has(key) || this.transfers.has(key)) return; // a retransmitted request
    const path = request.filename;
    const mode = request.mode.toLowerCase();
    if (mode !== 'octet' && mode !== 'netascii') {
      this.reject(remote, path, ErrorCode.ILLEGAL_OPERATION, `Unsupported transfer mode "${request.mode}"`, false);
      return;
    }
    const negotiation = negotiate(request.options, this.limits);
    if (!negotiation.ok) {
      this.reject(remote, path, ErrorCode.OPTION_NEGOTIATION, `${ERROR_TEXT[ErrorCode.OPTION_NEGOTIATION]}: ${negotiation.message}`, false);
      return;
    }
    if (this.pending.size + this.transfers.size >= this.maxTransfers) {
      this.reject(remote, path, ErrorCode.NOT_DEFINED, 'Server busy, too many transfers', false);
      return;
    }
    this.pending.add(key);
    try {
      let resolved: Resolved | null;
      try {
        resolved = await this.backend.resolve(path, remote);
      } catch (err) {
        this.reject(remote, path, ErrorCode.NOT_DEFINED, 'Server error', false, `backend failed: ${(err as Error).message}`);
        return;
      }
      if (this.closed) return;
      if (resolved === null) {
        this.reject(remote, path, ErrorCode.FILE_NOT_FOUND, ERROR_TEXT[ErrorCode.FILE_NOT_FOUND], false);
        return;
      }
      await this.start(key, path, mode, negotiation.negotiated, resolved, remote);
    } finally {
      this.pending.delete(key);
    }
  }

  private async start(key: string, path: string, mode: 'octet' | 'netascii', negotiated: Negotiated, resolved: Resolved, remote: Remote): Promise<void> {
    const size = fileSize(resolved);
    if (size === null) {
      this.reject(remote, path, ErrorCode.NOT_DEFINED, 'Server error', false, 'backend answered neither { data } nor { size, open }');
      return;
    }
    const oack = oackOptions(negotiated, mode === 'octet' ? size : null);
    // Without an OACK nothing was negotiated: RFC 1350 defaults.
    const blockSize = oack.length > 0 ? negotiated.blockSize : 512;
    const windowSize = oack.length > 0 ? negotiated.windowSize : 1;
    let source: BlockSource;
    try {
      source = await this.openSource(resolved, mode, blockSize);
    } catch (err) {
      this.reject(remote, path, ErrorCode.NOT_DEFINED, 'Server error', false, `opening the file: ${(err as Error).message}`);
      return;
    }
    if (this.closed) { source.close(); return; }
    const socket = createSocket({ type: this.family });
    try {
      await bind(socket, this.bindAddress, 0);
    } catch (err) {
      socket.close();
      source.close();
      this.reject(remote, path, ErrorCode.NOT_DEFINED, 'Server error', false, `transfer socket: ${(err as Error).message}`);
      return;
    }
    if (this.closed) { socket.close(); source.close(); return; }
    this.openSockets.add(socket);
    socket.once('close', () => this.openSockets.delete(socket));
    const info: TransferInfo = {
      id: this.nextId++, remote, path, mode, size, blockSize, windowSize,
      localPort: socket.address().port,
      options: Object.fromEntries(oack),
    };
    const transfer = new Transfer({
      socket, peer: remote, source, oack,
      blockSize, windowSize,
      timeoutSec: oack.length > 0 ? negotiated.timeoutSec : null,
      timing: this.timing,
      counters: this.counters,
      mayAnswerStranger: () => this.limiter.take(),
    }, (outcome) => this.ended(key, info, outcome));
    this.transfers.set(key, transfer);
    this.tally.started++;
    this.emit('transferStart', info);
    transfer.start();
  }

  /** Blocks of what the backend answered: small files from the packet cache, others streamed. */
  private async openSource(resolved: Resolved, mode: 'octet' | 'netascii', blockSize: number): Promise<BlockSource> {
    if ('data' in resolved) return bufferSource(mode === 'netascii' ? toNetascii(resolved.data) : resolved.data, blockSize);
    const { cacheKey, size } = resolved;
    if (mode === 'octet' && cacheKey !== undefined && this.cache.accepts(size)) {
      return encodedSource(await this.cache.get(cacheKey, size, blockSize, () => resolved.open()));
    }
    const stream = resolved.open();
    return streamSource(mode === 'netascii' ? netasciiStream(stream) : stream, blockSize);
  }

  private ended(key: string, info: TransferInfo, outcome: TransferOutcome): void {
    this.transfers.delete(key);
    if (outcome.ok) {
      this.tally.completed++;
      const { ok: _ok, ...result } = outcome;
      this.emit('transferEnd', { ...info, ...result });
    } else {
      this.tally.failed++;
      const { ok: _ok, ...result } = outcome;
      this.emit('transferError', { ...info, ...result });
    }
  }

  /** Answers a refused datagram from the request port; `limited` replies obey the rate limit. */
  private reject(remote: Remote, path: string | null, code: number, message: string, limited: boolean, detail?: string): void {
    this.tally.rejected++;
    const replied = !this.closed && this.socket !== null && (!limited || this.limiter.take());
    if (replied) this.socket?.send(encodeError(code, message), remote.port, remote.address, () => undefined);
    const event: RequestRejection = { remote, path, code, message: detail ?? message, replied };
    this.emit('requestRejected', event);
  }
}

function bind(socket: Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function fileSize(resolved: Resolved): number | null {
  if ('data' in resolved && Buffer.isBuffer(resolved.data)) return resolved.data.length;
  if ('size' in resolved && Number.isSafeInteger(resolved.size) && resolved.size >= 0 && typeof resolved.open === 'function') return resolved.size;
  return null;
}
