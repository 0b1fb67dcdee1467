/**
 * The background tag evaluator a region runs: drains the queue when kicked and on a timer (which also
 * picks up work queued by other regions or committed after a kick). One drain at a time per worker.
 */
import type { ServiceContext } from '../context.ts';
import { drainTagEvaluations } from './queue.ts';

const running = new Set<TagEvaluator>();

/** Wakes every evaluator in this process (after queueing work). */
export function kickTagEvaluators() {
  for (const w of running) w.kick();
}

export class TagEvaluator {
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Items done since start (for tests and status). */
  done = 0;

  constructor(private readonly ctx: ServiceContext, private readonly intervalMs = 1000) {}

  start(): this {
    running.add(this);
    this.timer = setInterval(() => this.kick(), this.intervalMs);
    this.timer.unref();
    this.kick();
    return this;
  }

  kick() {
    if (this.stopped) return;
    if (this.busy) { this.again = true; return; }
    this.busy = (async () => {
      do {
        this.again = false;
        try { this.done += await drainTagEvaluations(this.ctx, () => this.stopped); } catch (err) {
          this.ctx.log.error({ err }, 'tag evaluator: queue unavailable');
        }
      } while (this.again && !this.stopped);
    })().finally(() => { this.busy = undefined; });
  }

  /** Resolves once the queue has been drained by a pass that started after this call. */
  async idle(): Promise<void> {
    while (this.busy) await this.busy;
    this.kick();
    while (this.busy) await this.busy;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    running.delete(this);
    while (this.busy) await this.busy;
  }
}
