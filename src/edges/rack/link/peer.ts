/**
 * One authenticated end of a link, used by both sides: numbered calls with time-outs, answers to the
 * other side's calls from registered handlers, pushes, and the heartbeat (WebSocket pings every
 * `heartbeatMs`; a link from which nothing arrived for `deadMs` is terminated).
 */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { CLOSE, DEFAULT_CALL_TIMEOUT_MS, DEFAULT_DEAD_MS, DEFAULT_HEARTBEAT_MS, frame, parseFrame, type Frame, type LinkErrorBody } from './protocol.ts';

/** A failed call: the other side's error (code, message, retryable) or a link failure. */
export class LinkCallError extends Error {
  override readonly name = 'LinkCallError';
  constructor(readonly code: string, message: string, readonly retryable: boolean) { super(message); }
}

export type CallHandler = (params: unknown) => Promise<unknown>;
export type PushHandler = (params: unknown) => void;

export interface PeerOptions {
  heartbeatMs?: number;
  deadMs?: number;
  callTimeoutMs?: number;
  /** Names this peer in errors ("the region", "rack abc123"). */
  label: string;
}

interface Pending { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }

/** Turns whatever a handler threw into the wire's error body; messages of unexpected errors stay local. */
function errorBody(err: unknown): LinkErrorBody {
  const e = err as { code?: unknown; message?: unknown; retryable?: unknown };
  if (err instanceof LinkCallError || (typeof e?.code === 'string' && typeof e?.message === 'string'))
    return { code: String(e.code).slice(0, 64), message: String(e.message).slice(0, 4096), retryable: e.retryable === true };
  return { code: 'internal', message: 'The call failed on the other side of the link.', retryable: true };
}

/**
 * Events: 'close' (code, reason) once the link is gone; 'protocol-error' (why) just before it closes
 * for a malformed frame.
 */
export class LinkPeer extends EventEmitter {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, CallHandler>();
  private readonly pushHandlers = new Map<string, PushHandler>();
  private readonly heartbeat: NodeJS.Timeout;
  private lastHeard = Date.now();
  private closed = false;
  readonly heartbeatMs: number;
  readonly deadMs: number;
  readonly callTimeoutMs: number;

  constructor(private readonly ws: WebSocket, private readonly opts: PeerOptions) {
    super();
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.deadMs = opts.deadMs ?? DEFAULT_DEAD_MS;
    this.callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => this.heard());
    ws.on('ping', () => this.heard());
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    ws.on('error', () => undefined); // 'close' follows
    this.heartbeat = setInterval(() => this.tick(), Math.min(this.heartbeatMs, this.deadMs));
    this.heartbeat.unref();
  }

  get isOpen(): boolean { return !this.closed; }
  get lastSeen(): Date { return new Date(this.lastHeard); }

  handle(method: string, fn: CallHandler): this { this.handlers.set(method, fn); return this; }
  onPush(method: string, fn: PushHandler): this { this.pushHandlers.set(method, fn); return this; }

  call(method: string, params: unknown, timeoutMs = this.callTimeoutMs): Promise<unknown> {
    if (this.closed) return Promise.reject(new LinkCallError('disconnected', `The link to ${this.opts.label} is down.`, true));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LinkCallError('timeout', `${method} to ${this.opts.label} got no answer within ${Math.round(timeoutMs / 100) / 10} s.`, true));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send({ type: 'call', id, method, params });
    });
  }

  push(method: string, params: unknown): void {
    if (!this.closed) this.send({ type: 'push', method, params });
  }

  close(code: number = CLOSE.shutdown, reason = ''): void {
    if (this.closed) return;
    this.ws.close(code, reason.slice(0, 120));
    // A peer that does not complete the closing handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private send(f: Frame): void {
    this.ws.send(JSON.stringify(f));
  }

  private heard(): void { this.lastHeard = Date.now(); }

  private tick(): void {
    if (this.closed) return;
    if (Date.now() - this.lastHeard >= this.deadMs) {
      // Silent too long: no closing handshake with a peer that is not there.
      this.ws.terminate();
      this.onClose(CLOSE.deadPeer, `${this.opts.label} was silent for ${Math.round(this.deadMs / 1000)} s`);
      return;
    }
    try { this.ws.ping(); } catch { /* closing */ }
  }

  private protocolError(why: string): void {
    this.emit('protocol-error', why);
    this.close(CLOSE.protocol, why);
  }

  private onMessage(data: unknown, isBinary: boolean): void {
    this.heard();
    if (isBinary) return this.protocolError('binary frames are not part of the protocol');
    const f = parseFrame(frame, data);
    if (!f) return this.protocolError('malformed frame');
    switch (f.type) {
      case 'call': void this.answer(f.id, f.method, f.params); break;
      case 'push': {
        const h = this.pushHandlers.get(f.method);
        if (!h) return this.protocolError(`unknown push ${f.method}`);
        try { h(f.params); } catch { /* a push handler's failure is its own business */ }
        break;
      }
      case 'result':
      case 'error': {
        const p = this.pending.get(f.id);
        if (!p) return; // answered after its time-out
        this.pending.delete(f.id);
        clearTimeout(p.timer);
        if (f.type === 'result') p.resolve(f.result);
        else p.reject(new LinkCallError(f.error.code, f.error.message, f.error.retryable === true));
      }
    }
  }

  private async answer(id: number, method: string, params: unknown): Promise<void> {
    const h = this.handlers.get(method);
    let reply: Frame;
    if (!h) reply = { type: 'error', id, error: { code: 'unknown_method', message: `Unknown method ${method}.`, retryable: false } };
    else {
      try { reply = { type: 'result', id, result: (await h(params)) ?? null }; } catch (err) { reply = { type: 'error', id, error: errorBody(err) }; }
    }
    if (!this.closed) this.send(reply);
  }

  private onClose(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new LinkCallError('disconnected', `The link to ${this.opts.label} closed before an answer.`, true));
    }
    this.pending.clear();
    this.emit('close', code, reason);
  }
}
