/** Parameter declarations shared by the machine handlers. */
import { p, type ParamSpec } from '../declare.ts';
import type { ActionCtx } from '../declare.ts';
import type { MachineQuery } from '../../../services/machines/filter.ts';

export const LIST_PARAMS: ParamSpec[] = [
  p.list('hostname', 'Only nodes relating to the node with the matching hostname will be returned. This can be specified multiple times to see multiple nodes.'),
  p.int('cpu_count', 'Only nodes with this many CPUs or more will be returned.'),
  p.int('mem', 'Only nodes with this much memory (MiB) or more will be returned.'),
  p.list('mac_address', 'Only nodes relating to the node owning the specified MAC address will be returned.'),
  p.list('id', 'Only nodes relating to the nodes with matching system ids will be returned.'),
  p.list('domain', 'Only nodes relating to the nodes in the domain will be returned.'),
  p.list('zone', 'Only nodes relating to the nodes in the zone will be returned.'),
  p.list('not_in_zone', 'Only nodes not in these zones will be returned.'),
  p.list('pool', 'Only nodes belonging to the pool will be returned.'),
  p.list('not_in_pool', 'Only nodes not in these pools will be returned.'),
  p.list('agent_name', 'Only nodes relating to the nodes with matching agent names will be returned.'),
  p.list('fabrics', 'Only nodes with interfaces in specified fabrics will be returned.'),
  p.list('not_fabrics', 'Only nodes with interfaces not in specified fabrics will be returned.'),
  p.list('vlans', 'Only nodes with interfaces in specified VLANs will be returned.'),
  p.list('not_vlans', 'Only nodes with interfaces not in specified VLANs will be returned.'),
  p.int('link_speed', 'Only nodes with interfaces with link speeds greater than or equal to link_speed will be returned.'),
  p.list('status', 'Only nodes with specified status will be returned.'),
  p.list('simple_status', 'Only nodes with the specified simplified status (Ready, Deployed, Failed, …) will be returned.'),
  p.list('tags', 'Only nodes with all these tags will be returned.'),
  p.list('not_tags', 'Only nodes with none of these tags will be returned.'),
  p.list('owner', 'Only nodes owned by these users will be returned.'),
  p.list('arch', 'Only nodes with these architectures will be returned.'),
  p.list('power_state', 'Only nodes with this power state will be returned.'),
];

export function listQuery(args: ActionCtx['args']): MachineQuery {
  const q: MachineQuery = {};
  for (const spec of LIST_PARAMS) {
    if (!args.has(spec.name)) continue;
    (q as Record<string, unknown>)[spec.name] = spec.type === 'int' ? args.int(spec.name) : args.list(spec.name);
  }
  return q;
}

export const CREATE_PARAMS: ParamSpec[] = [
  p.str('architecture', 'A string containing the architecture type of the machine. (For example, "i386", or "amd64".)', true),
  p.str('min_hwe_kernel', 'A string containing the minimum kernel version allowed to be ran on this machine.'),
  p.str('subarchitecture', 'A string containing the subarchitecture type of the machine.'),
  p.list('mac_addresses', 'One or more MAC addresses for the machine.', true),
  p.str('hostname', 'A hostname. If not given, one will be generated.'),
  p.str('description', 'A optional description.'),
  p.str('domain', 'The domain of the machine. If not given the default domain is used.'),
  p.str('zone', 'The zone of the machine. If not given the default zone is used.'),
  p.str('pool', 'The resource pool of the machine. If not given the default pool is used.'),
  p.str('power_type', 'A power management type, if applicable (e.g. "virsh", "ipmi").'),
  p.prefixed('power_parameters_{param}', 'The parameter(s) for the power_type. Note that this is dynamic as the available parameters depend on the selected value of the Machine\'s power_type.'),
  p.str('power_parameters', 'Power parameters as a JSON object (the form enlistment uses).'),
  p.bool('commission', 'Request the newly created machine to be created with status set to COMMISSIONING.'),
  p.bool('deployed', 'Request the newly created machine to be created with status set to DEPLOYED. Setting this to true implies commissioning=false.'),
];
