/**
 * What a finished commissioning script's output does to the machine. Plinth's own scripts are read by
 * the commissioning module (facts, lshw, lldp, storage layout); the XML outputs of MAAS's own script
 * names are stored here too, so MAAS's commissioning scripts work unchanged. Each ingest runs under a
 * savepoint: output that cannot be read changes nothing and fails that script alone.
 */
import { ingestScriptOutput } from '../commissioning/ingest.ts';
import { storeCommissioningXml } from '../tag-evaluation/details.ts';
import type { Queryable, ServiceContext } from '../context.ts';

/** MAAS's commissioning script names whose output is a detail XML for tags. */
const MAAS_XML: Record<string, 'lshw' | 'lldp'> = {
  '00-maas-01-lshw': 'lshw', 'lshw': 'lshw', '99-maas-01-capture-lldp': 'lldp', '99-maas-02-capture-lldp': 'lldp',
};

export async function ingestCommissioningOutput(ctx: ServiceContext, q: Queryable, node: { id: number; system_id: string },
  script: string, output: Buffer): Promise<{ error?: string }> {
  await q.query('savepoint plinth_meta_ingest');
  try {
    const kind = MAAS_XML[script];
    if (kind) await storeCommissioningXml(ctx, node.id, kind, output.toString('utf8'), q);
    else await ingestScriptOutput(ctx, q, node, script, output);
    await q.query('release savepoint plinth_meta_ingest');
    return {};
  } catch (err) {
    await q.query('rollback to savepoint plinth_meta_ingest');
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
