/** Per-step progress lines with elapsed times: "[ephemeral] mmdebstrap … done in 212.4 s". */
export type Say = (line: string) => void;

export interface Steps {
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  elapsed(): number;
  timings: Record<string, number>;
}

export function steps(tag: string, say: Say): Steps {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  return {
    timings,
    elapsed: () => (Date.now() - t0) / 1000,
    async step(name, fn) {
      const s = Date.now();
      say(`[${tag}] ${name} …`);
      const r = await fn();
      const secs = (Date.now() - s) / 1000;
      timings[name] = secs;
      say(`[${tag}] ${name} done in ${secs.toFixed(1)} s (total ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return r;
    },
  };
}
