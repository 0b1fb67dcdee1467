/** `POST machines/?op=allocate` (maas-api-spec.md §9.1), spread into MachinesHandler's actions. */
import type { AllocationRequest } from '../../../domain/allocation/constraints.ts';
import { allocateMachine } from '../../../services/allocation/allocate.ts';
import { op, p, type ActionCtx, type ActionDecl, type ParamSpec } from '../declare.ts';
import { renderMachine } from '../render/machine.ts';

const LISTS = ['name', 'system_id', 'arch', 'tags', 'not_tags', 'zone', 'not_in_zone', 'pool', 'not_in_pool', 'pod', 'not_pod',
  'pod_type', 'not_pod_type', 'subnets', 'not_subnets', 'fabrics', 'not_fabrics', 'fabric_classes', 'not_fabric_classes',
  'vlans', 'not_vlans'] as const;

export const ALLOCATE_PARAMS: ParamSpec[] = [
  p.list('name', 'Hostname or FQDN of the desired machine. If a FQDN is specified, both the domain and the hostname portions must match.'),
  p.list('system_id', 'system_id of the desired machine.'),
  p.list('arch', 'Architecture of the returned machine (e.g. "i386/generic", "amd64", "armhf/highbank", etc.). If multiple architectures are specified, the machine to acquire may match any of the given architectures.'),
  p.float('cpu_count', 'Minimum number of CPUs a returned machine must have.'),
  p.float('mem', 'The minimum amount of memory (expressed in MB) the returned machine must have.'),
  p.list('tags', 'Tags the machine must match in order to be acquired. If multiple tag names are specified, the machine must be tagged with all of them. Comma- or space-separated lists are accepted too.'),
  p.list('not_tags', 'Tags the machine must NOT match. If multiple tag names are specified, the machine must NOT be tagged with ANY of them.'),
  p.list('zone', 'Physical zone name the machine must be located in.'),
  p.list('not_in_zone', 'List of physical zones from which the machine must not be acquired.'),
  p.list('pool', 'Resource pool name the machine must belong to.'),
  p.list('not_in_pool', 'List of resource pool from which the machine must not be acquired.'),
  p.list('pod', 'Pod the machine must be located in.'),
  p.list('not_pod', 'Pod the machine must not be located in.'),
  p.list('pod_type', 'Pod type the machine must be located in.'),
  p.list('not_pod_type', 'Pod type the machine must not be located in.'),
  p.list('subnets', 'Subnets that must be linked to the machine. Each is a specifier: <id>, cidr:, fabric:, ip:, name:, space:, vid:, vlan:.'),
  p.list('not_subnets', 'Subnets that must NOT be linked to the machine (same specifiers as subnets).'),
  p.str('storage', 'A list of storage constraint identifiers, in the form: label:size(tag[,tag[,...])][,label:...]. Sizes are in GB.'),
  p.str('interfaces', 'A labeled constraint map associating constraint labels with interface properties that should be matched. label:key=value[,key2=value2[,...]][;label2:...].'),
  p.list('fabrics', 'Set of fabrics that the machine must be associated with in order to be acquired. Any one suffices.'),
  p.list('not_fabrics', 'Fabrics the machine must NOT be associated with in order to be acquired.'),
  p.list('fabric_classes', 'Set of fabric class types whose fabrics the machine must be associated with in order to be acquired.'),
  p.list('not_fabric_classes', 'Fabric class types whose fabrics the machine must NOT be associated with in order to be acquired.'),
  p.list('vlans', 'VLANs (specifiers: <id>, vid:, name:, fabric:) the machine must have an interface on.'),
  p.list('not_vlans', 'VLANs the machine must not have an interface on.'),
  p.float('link_speed', 'Minimum link speed (Mbps) of at least one of the machine\'s interfaces.'),
  p.str('devices', 'Devices the machine must have: vendor_id=…,product_id=…,vendor_name=…,product_name=…,commissioning_driver=…'),
  p.str('agent_name', 'An optional agent name to attach to the acquired machine.'),
  p.str('comment', 'Comment for the event log.'),
  p.bool('dry_run', 'Optional boolean to indicate that the machine should not actually be acquired (this is for support/troubleshooting, or users who want to see which machine would match a constraint, without acquiring a machine). Defaults to False.'),
  p.bool('verbose', 'Optional boolean to indicate that the user would like additional verbosity in the constraints_by_type field (each constraint will be prefixed by verbose_, and contain the full data structure that indicates which machine(s) matched).'),
];

function request(args: ActionCtx['args']): AllocationRequest {
  const r: Record<string, unknown> = {};
  for (const k of LISTS) if (args.has(k)) r[k] = args.list(k);
  for (const k of ['cpu_count', 'mem', 'link_speed'] as const) if (args.has(k)) r[k] = args.num(k);
  for (const k of ['storage', 'interfaces', 'devices'] as const) if (args.has(k)) r[k] = args.str(k);
  return r as AllocationRequest;
}

/** The parameters as sent, in order, each with all its values: MAAS prints these in its 409 text. */
function sentParams(args: ActionCtx['args']): Array<[string, string[]]> {
  const last = args.pairsExcept([]);
  return Object.keys(last).map((k) => [k, (LISTS as readonly string[]).includes(k) ? args.list(k) : [last[k]]]);
}

export const allocateActions: ActionDecl[] = [
  op('POST', 'allocate', 'Allocate a machine', async ({ svc, user, args }) => {
    const a = await allocateMachine(svc, user, request(args), {
      agentName: args.str('agent_name'), comment: args.str('comment'), dryRun: args.bool('dry_run'), verbose: args.bool('verbose'),
      params: sentParams(args),
    });
    const byType: Record<string, unknown> = {};
    if (Object.keys(a.storage).length) byType.storage = a.storage;
    if (a.constraints.interfaces.length) byType.interfaces = a.interfaces;
    if (a.verbose) { byType.verbose_storage = a.verbose.storage; byType.verbose_interfaces = a.verbose.interfaces; }
    return renderMachine(a.machine, { constraints_by_type: byType });
  }, ALLOCATE_PARAMS),
];
