/** Machine JSON (UTF-8) through the per-region cache: unchanged machines cost a lookup, not a render. */
import type { ServiceContext } from '../../../services/context.ts';
import { loadMachinesById } from '../../../services/machines/access.ts';
import type { MachineJsonCache } from './cache.ts';
import { renderMachine } from './machine.ts';

export async function machinesJson(
  svc: ServiceContext, cache: MachineJsonCache, versions: { rows: Array<{ id: number; version: number }>; epoch: number },
): Promise<Buffer[]> {
  const out: Array<Buffer | undefined> = versions.rows.map((r) => cache.get(r.id, r.version, versions.epoch));
  const missing = versions.rows.filter((_, i) => out[i] === undefined);
  if (missing.length) {
    const fresh = new Map<number, Buffer>();
    // Chunks keep each query's parameter array and result set moderate.
    for (let i = 0; i < missing.length; i += 2000) {
      const chunk = missing.slice(i, i + 2000);
      for (const m of await loadMachinesById(svc, chunk.map((r) => r.id))) fresh.set(m.id, Buffer.from(JSON.stringify(renderMachine(m))));
    }
    versions.rows.forEach((r, i) => {
      if (out[i] !== undefined) return;
      const json = fresh.get(r.id);
      if (json === undefined) return; // deleted between the two queries
      out[i] = json;
      cache.set(r.id, r.version, versions.epoch, json);
    });
  }
  return out.filter((x): x is Buffer => x !== undefined);
}
