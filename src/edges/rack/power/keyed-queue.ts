/**
 * One job at a time per key, first come first served; different keys run concurrently. A job that is
 * still waiting when its signal aborts leaves the queue without running. A job may `hold` the key past
 * its own end (e.g. until a timed-out call has really stopped): the caller gets the job's result at
 * once, the next job for the key starts when the held promises have settled too.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Number of keys with a job running, waiting or held. */
  get activeKeys(): number { return this.tails.size; }

  run<T>(key: string, job: (hold: (p: Promise<unknown>) => void) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const released = new Promise<void>((resolve) => { release = resolve; });
    const tail = before.then(() => released);
    this.tails.set(key, tail);
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });

    const held: Promise<unknown>[] = [];
    const hold = (p: Promise<unknown>) => { held.push(p.catch(() => undefined)); };

    return new Promise<T>((resolve, reject) => {
      let started = false;
      const onAbort = () => {
        if (started) return;
        release();
        reject(signal!.reason instanceof Error ? signal!.reason : new Error('Cancelled while waiting for the BMC.'));
      };
      if (signal?.aborted) { onAbort(); return; }
      signal?.addEventListener('abort', onAbort, { once: true });
      void before.then(async () => {
        signal?.removeEventListener('abort', onAbort);
        if (signal?.aborted) return; // already rejected and released by onAbort
        started = true;
        try { resolve(await job(hold)); } catch (err) { reject(err); } finally {
          void Promise.all(held).then(() => release());
        }
      });
    });
  }
}
