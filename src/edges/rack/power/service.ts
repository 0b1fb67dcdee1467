/**
 * The rack's power service: everything around a driver's single attempt.
 *  - per-BMC serialisation: one command at a time per BMC (driver.bmcKey), in arrival order;
 *  - a time bound per attempt (the driver gets an AbortSignal and the bound; a driver that ignores
 *    them is still answered for at the bound, and the BMC is released after a grace period);
 *  - retries with exponential backoff (and jitter) for retryable errors only;
 *  - verify-after-set: after on/off/cycle, poll queryState until it shows the wanted state or the
 *    verify window closes (a retryable `verify` error, so the whole attempt is retried).
 */
import { PowerError, scrubError, secretValues } from './driver.ts';
import type { ActionResult, BootDevice, PowerAction, PowerDriver, PowerParams, PowerState } from './driver.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { POWER_DRIVERS } from './registry.ts';

export interface PowerRequest {
  powerType: string;
  params: PowerParams;
  action: PowerAction;
  bootDevice?: BootDevice;
  offMode?: 'soft' | 'hard';
  /** Verify after on/off/cycle (default true; ignored for drivers that cannot query). */
  verify?: boolean;
  /** Overrides the service's verify window for this request (e.g. longer for a soft power off). */
  verifyTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface PowerOutcome {
  /** The state after the command: queried or verified; `unknown` when not verified or the driver cannot tell. */
  state: PowerState;
  attempts: number;
  note?: string;
}

export interface BackoffOptions { initialMs: number; factor: number; maxMs: number; jitter: number }

export type PowerEvent =
  | { type: 'attempt'; key: string; action: PowerAction; attempt: number }
  | { type: 'retry'; key: string; action: PowerAction; attempt: number; delayMs: number; error: PowerError }
  | { type: 'succeeded'; key: string; action: PowerAction; attempts: number; state: PowerState }
  | { type: 'failed'; key: string; action: PowerAction; attempts: number; error: PowerError };

export interface PowerServiceOptions {
  drivers?: readonly PowerDriver[];
  /** Attempts per command, first included (default 4). */
  attempts?: number;
  backoff?: Partial<BackoffOptions>;
  /** Time bound of one driver call (default 30 s). */
  commandTimeoutMs?: number;
  /** How long a timed-out driver call may keep the BMC before the next command goes (default 5 s). */
  releaseGraceMs?: number;
  /** Verify-after-set window and poll interval (defaults 60 s and 2 s). */
  verifyTimeoutMs?: number;
  verifyIntervalMs?: number;
  /** Random source for jitter, in [0, 1). */
  random?: () => number;
  onEvent?: (e: PowerEvent) => void;
}

/** Per-command state: how to hold the BMC past the command, and a timed-out call that may still run. */
interface RunState { hold: (p: Promise<unknown>) => void; signal?: AbortSignal; lingering?: Promise<void> }
type Call = <T>(what: string, fn: (ctx: { signal: AbortSignal; timeoutMs: number }) => Promise<T>) => Promise<T>;

const WANTED: Partial<Record<PowerAction, PowerState>> = { on: 'on', off: 'off', cycle: 'on' };

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) { reject(cancelled()); return; }
    const onAbort = () => { clearTimeout(t); reject(cancelled()); };
    const t = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
const cancelled = () => new PowerError('timeout', 'The power command was cancelled.', false);

export class PowerService {
  private readonly queue = new KeyedQueue();
  private readonly drivers: readonly PowerDriver[];
  private readonly attempts: number;
  private readonly backoff: BackoffOptions;
  private readonly commandTimeoutMs: number;
  private readonly releaseGraceMs: number;
  private readonly verifyTimeoutMs: number;
  private readonly verifyIntervalMs: number;
  private readonly random: () => number;
  private readonly emit: (e: PowerEvent) => void;

  constructor(opts: PowerServiceOptions = {}) {
    this.drivers = opts.drivers ?? POWER_DRIVERS;
    this.attempts = Math.max(1, opts.attempts ?? 4);
    this.backoff = { initialMs: 1000, factor: 2, maxMs: 30_000, jitter: 0.2, ...opts.backoff };
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 30_000;
    this.releaseGraceMs = opts.releaseGraceMs ?? 5000;
    this.verifyTimeoutMs = opts.verifyTimeoutMs ?? 60_000;
    this.verifyIntervalMs = opts.verifyIntervalMs ?? 2000;
    this.random = opts.random ?? Math.random;
    this.emit = opts.onEvent ?? (() => {});
  }

  /** Delay before retry number `retry` (1-based): initial × factor^(retry-1), capped, ± jitter. */
  backoffDelay(retry: number): number {
    const { initialMs, factor, maxMs, jitter } = this.backoff;
    const base = Math.min(maxMs, initialMs * factor ** (retry - 1));
    return Math.max(0, Math.round(base * (1 + jitter * (2 * this.random() - 1))));
  }

  /** Runs one command: serialised per BMC, retried, time-bounded and verified. Throws a PowerError. */
  async execute(req: PowerRequest): Promise<PowerOutcome> {
    const driver = this.drivers.find((d) => d.name === req.powerType);
    if (!driver) throw new PowerError('invalid', `Unknown power type ${req.powerType}.`, false);
    const problems = driver.validate(req.params);
    if (problems.length) throw new PowerError('invalid', `Power parameters are not usable: ${problems.join(' ')}`, false);
    if (req.action === 'boot' && (!driver.canSetBootDevice || !driver.setBootDevice))
      throw new PowerError('unsupported', `Power type ${driver.name} cannot set the boot device.`, false);
    if (req.action === 'boot' && !req.bootDevice) throw new PowerError('invalid', 'A boot device (pxe or disk) is needed.', false);
    const key = driver.bmcKey(req.params);
    const secrets = secretValues(driver.fields, req.params);
    try {
      return await this.queue.run(key, (hold) => this.withRetries(driver, key, req, { hold, signal: req.signal }), req.signal);
    } catch (err) {
      throw err instanceof PowerError ? scrubError(err, secrets) : new PowerError('timeout', 'The power command was cancelled.', false);
    }
  }

  private async withRetries(driver: PowerDriver, key: string, req: PowerRequest, run: RunState): Promise<PowerOutcome> {
    for (let attempt = 1; ; attempt++) {
      this.emit({ type: 'attempt', key, action: req.action, attempt });
      try {
        const outcome = await this.attempt(driver, req, run);
        const done = { ...outcome, attempts: attempt };
        this.emit({ type: 'succeeded', key, action: req.action, attempts: attempt, state: done.state });
        return done;
      } catch (raw) {
        const error = this.asPowerError(raw, driver, req);
        if (!error.retryable || attempt >= this.attempts || req.signal?.aborted) {
          const final = attempt > 1 ? new PowerError(error.code, `${error.message} (gave up after ${attempt} attempts)`, error.retryable) : error;
          this.emit({ type: 'failed', key, action: req.action, attempts: attempt, error: final });
          throw final;
        }
        const delayMs = this.backoffDelay(attempt);
        this.emit({ type: 'retry', key, action: req.action, attempt, delayMs, error });
        await sleep(delayMs, req.signal);
      }
    }
  }

  private asPowerError(raw: unknown, driver: PowerDriver, req: PowerRequest): PowerError {
    const secrets = secretValues(driver.fields, req.params);
    if (raw instanceof PowerError) return scrubError(raw, secrets);
    const message = raw instanceof Error ? raw.message : String(raw);
    return scrubError(new PowerError('bmc', `The ${driver.name} driver failed: ${message}`, false), secrets);
  }

  /**
   * One driver call under the time bound. If the driver overstays, the caller is answered at the bound
   * and the BMC stays held (for this command's next attempt and for other commands) until the call has
   * really ended or the grace period has passed.
   */
  private async bounded<T>(call: (signal: AbortSignal, timeoutMs: number) => Promise<T>, what: string, run: RunState): Promise<T> {
    if (run.lingering) { await run.lingering; run.lingering = undefined; }
    const ac = new AbortController();
    const onOuter = () => ac.abort();
    run.signal?.addEventListener('abort', onOuter, { once: true });
    let pending: Promise<T>;
    try { pending = call(ac.signal, this.commandTimeoutMs); } catch (err) { pending = Promise.reject(err); }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        ac.abort();
        let graceTimer: NodeJS.Timeout | undefined;
        const lingering = Promise.race([
          pending.then(() => undefined, () => undefined),
          new Promise<void>((r) => { graceTimer = setTimeout(r, this.releaseGraceMs); }),
        ]).finally(() => clearTimeout(graceTimer));
        run.lingering = lingering;
        run.hold(lingering);
        reject(new PowerError('timeout', `${what} did not finish within ${this.commandTimeoutMs} ms.`, true));
      }, this.commandTimeoutMs);
      pending.then(
        (v) => { clearTimeout(timer); run.signal?.removeEventListener('abort', onOuter); resolve(v); },
        (e) => { clearTimeout(timer); run.signal?.removeEventListener('abort', onOuter); reject(e); },
      );
    });
  }

  private async attempt(driver: PowerDriver, req: PowerRequest, run: RunState): Promise<Omit<PowerOutcome, 'attempts'>> {
    const p = req.params;
    const call: Call = (what, fn) => this.bounded((signal, timeoutMs) => fn({ signal, timeoutMs }), `${driver.name} ${what}`, run);

    if (req.action === 'query') return { state: await call('power query', (ctx) => driver.queryState(p, ctx)) };
    let result: ActionResult;
    switch (req.action) {
      case 'on': result = await call('power on', (ctx) => driver.powerOn(p, ctx)); break;
      case 'off': result = await call('power off', (ctx) => driver.powerOff(p, ctx, { mode: req.offMode })); break;
      case 'cycle': result = await call('power cycle', (ctx) => driver.powerCycle(p, ctx)); break;
      default: {
        const device = req.bootDevice!;
        result = await call(`boot device ${device}`, (ctx) => driver.setBootDevice!(p, device, ctx));
        return { state: 'unknown', note: result.note };
      }
    }
    const wanted = WANTED[req.action]!;
    if (!driver.queryable || req.verify === false) return { state: 'unknown', note: result.note };
    return { state: await this.verify(driver, req, wanted, call), note: result.note };
  }

  private async verify(driver: PowerDriver, req: PowerRequest, wanted: PowerState, call: Call): Promise<PowerState> {
    const windowMs = req.verifyTimeoutMs ?? this.verifyTimeoutMs;
    const deadline = Date.now() + windowMs;
    let last: PowerState | string = 'not queried';
    for (;;) {
      try {
        last = await call('power query', (ctx) => driver.queryState(req.params, ctx));
        if (last === wanted) return last;
      } catch (err) {
        if (!(err instanceof PowerError) || !err.retryable) throw err;
        last = `query failed: ${err.message}`;
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(this.verifyIntervalMs, left), req.signal);
    }
    throw new PowerError('verify', `The BMC accepted power ${req.action} but did not report ${wanted} within ${windowMs} ms (last: ${last}).`, true);
  }
}
