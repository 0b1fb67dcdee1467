/** Editing a machine's identity, placement, hardware overrides and power settings (`PUT machines/<id>/`). */
import { architectureError, normalizeArchitecture } from '../../domain/machine/architecture.ts';
import { conflict, invalid } from '../../domain/errors.ts';
import { validateHostname } from '../../domain/machine/hostname.ts';
import { updateNode, type NodePatch } from '../../store/repos/machine-write.ts';
import { nodesRepo, type MachineRecord } from '../../store/repos/machines.ts';
import { domainsRepo, poolsRepo, zonesRepo } from '../../store/repos/places.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { assertCanEdit } from './access.ts';
import { checkPower } from './power-params.ts';

export interface MachineEdit {
  hostname?: string; description?: string; domain?: string; architecture?: string; min_hwe_kernel?: string;
  power_type?: string; power_parameters?: Record<string, string>; power_parameters_skip_check?: boolean;
  pool?: string; zone?: string; swap_size?: number; cpu_count?: number; memory?: number;
}

export async function updateMachine(ctx: ServiceContext, actor: Actor, m: MachineRecord, e: MachineEdit) {
  assertCanEdit(actor, m);
  if (m.locked) throw conflict(`Cannot edit machine ${m.system_id}: it is locked.`);
  const errors: Record<string, string[]> = {};
  const patch: NodePatch = {};
  if (e.hostname !== undefined) {
    const err = validateHostname(e.hostname);
    if (err) errors.hostname = [err]; else patch.hostname = e.hostname;
  }
  if (e.description !== undefined) patch.description = e.description;
  if (e.architecture !== undefined) {
    const a = normalizeArchitecture(e.architecture);
    if (!a) errors.architecture = [architectureError(e.architecture)]; else patch.architecture = a;
  }
  if (e.min_hwe_kernel !== undefined) patch.min_hwe_kernel = e.min_hwe_kernel;
  for (const [k, v] of [['swap_size', e.swap_size], ['cpu_count', e.cpu_count], ['memory', e.memory]] as const) {
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 0) errors[k] = ['Enter a whole number, zero or more.']; else patch[k] = v;
  }
  if (e.power_type !== undefined || e.power_parameters !== undefined) {
    const type = e.power_type ?? m.power_type;
    const merged = e.power_type !== undefined && e.power_type !== m.power_type
      ? (e.power_parameters ?? {})
      : { ...(m.power_parameters as Record<string, string>), ...(e.power_parameters ?? {}) };
    const p = checkPower(type, merged, e.power_parameters_skip_check);
    if ('errors' in p) Object.assign(errors, p.errors);
    else if ('power' in p) { patch.power_type = p.power.type; patch.power_parameters = p.power.params; }
    else { patch.power_type = ''; patch.power_parameters = {}; }
  }
  if (Object.keys(errors).length) throw invalid(errors);

  await ctx.db.tx(async (q) => {
    if (e.domain !== undefined) {
      const d = await domainsRepo.byName(q, e.domain);
      if (!d) throw invalid({ domain: [`Select a valid choice. ${e.domain} is not one of the available choices.`] });
      patch.domain_id = d.id;
    }
    if (e.zone !== undefined) {
      const z = await zonesRepo.byName(q, e.zone);
      if (!z) throw invalid({ zone: [`Select a valid choice. ${e.zone} is not one of the available choices.`] });
      patch.zone_id = z.id;
    }
    if (e.pool !== undefined) {
      const p = await poolsRepo.byName(q, e.pool);
      if (!p) throw invalid({ pool: [`Select a valid choice. ${e.pool} is not one of the available choices.`] });
      patch.pool_id = p.id;
    }
    const hostname = patch.hostname ?? m.hostname;
    if ((patch.hostname !== undefined || patch.domain_id !== undefined) && (await nodesRepo.hostnameTaken(q, hostname, patch.domain_id ?? m.domain_id, m.id)))
      throw invalid({ hostname: [`Node with hostname "${hostname}" already exists`] });
    await updateNode(q, m.id, patch);
  });
}
