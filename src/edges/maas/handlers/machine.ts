import { getMachine, machineVersion } from '../../../services/machines/access.ts';
import { machinesJson } from '../render/cached.ts';
import { JSON_TYPE } from '../replies.ts';
import { deleteMachine } from '../../../services/machines/delete.ts';
import { updateMachine } from '../../../services/machines/update.ts';
import { setWorkloadAnnotations } from '../../../services/machines/annotations.ts';
import { crud, op, p, type HandlerDecl } from '../declare.ts';
import { preloadMachineVersion, preloadedMachineVersion } from '../router.ts';
import { noContent } from '../replies.ts';
import { renderMachine } from '../render/machine.ts';
import { MACHINE_ACTIONS } from './machine-actions.ts';
import { STORAGE_MACHINE_ACTIONS } from './storage/layout.ts';
import { machineToken } from '../../../services/metadata/node-key.ts';

const UPDATE_PARAMS = [
  p.str('hostname', 'The new hostname for this machine.'),
  p.str('description', 'The new description for this machine.'),
  p.str('domain', 'The domain for this machine.'),
  p.str('architecture', 'The new architecture for this machine.'),
  p.str('min_hwe_kernel', 'A string containing the minimum kernel version allowed to be ran on this machine.'),
  p.str('power_type', 'The new power type for this machine.'),
  p.prefixed('power_parameters_{param}', 'The new value for the \'param\' power parameter.'),
  p.bool('power_parameters_skip_check', 'Whether or not the new power parameters for this machine should be checked against the expected power parameters for the machine\'s power type.'),
  p.str('pool', 'The resource pool to which the machine should belong.'),
  p.str('zone', 'Name of a valid physical zone in which to place this machine.'),
  p.int('swap_size', 'Specifies the size of the swap file, in bytes. Field accept K, M, G and T suffixes for values expressed respectively in kilobytes, megabytes, gigabytes and terabytes.'),
  p.bool('disable_ipv4', 'Deprecated. If specified, must be false.'),
  p.int('cpu_count', 'The amount of CPU cores the machine has.'),
  p.int('memory', 'How much memory the machine has, in MiB.'),
];

export const MachineHandler: HandlerDecl = {
  name: 'MachineHandler',
  path: '/machines/{system_id}/',
  doc: 'Manage an individual machine.\n\nA machine is identified by its system_id.',
  actions: [
    preloadMachineVersion(crud.read('Read a node', async (ctx) => {
      const { svc, user, path, deps } = ctx;
      // The version row usually came with the credential check, in the same statement. Served from it
      // only when the caller plainly may see the machine (admin, owner, or unowned: the rule of
      // services/machines/access.ts); any other case, and no row, go through the canonical lookup.
      const pre = preloadedMachineVersion(ctx);
      const v = pre && (user.isAdmin || pre.owner_id === null || pre.owner_id === user.id) ? pre : await machineVersion(svc, user, path.system_id);
      const [json] = await machinesJson(svc, deps.machineCache, { rows: [v], epoch: v.epoch });
      if (json === undefined) return renderMachine(await getMachine(svc, user, path.system_id)); // raced a delete: answers 404
      return { contentType: JSON_TYPE, body: json };
    }), 'system_id'),
    crud.update('Update a machine', async ({ svc, user, path, args }) => {
      const m = await getMachine(svc, user, path.system_id);
      const power = args.prefix('power_parameters_');
      delete power.skip_check;
      await updateMachine(svc, user, m, {
        hostname: args.str('hostname'), description: args.str('description'), domain: args.str('domain'),
        architecture: args.str('architecture'), min_hwe_kernel: args.str('min_hwe_kernel'), power_type: args.str('power_type'),
        power_parameters: Object.keys(power).length ? power : undefined, power_parameters_skip_check: args.bool('power_parameters_skip_check'),
        pool: args.str('pool'), zone: args.str('zone'), swap_size: args.int('swap_size'), cpu_count: args.int('cpu_count'), memory: args.int('memory'),
      });
      return renderMachine(await getMachine(svc, user, path.system_id));
    }, UPDATE_PARAMS),
    crud.delete('Delete a machine', async ({ svc, user, path, args }) => {
      await deleteMachine(svc, user, await getMachine(svc, user, path.system_id), args.bool('force') ?? false);
      return noContent;
    }, [p.bool('force', 'Delete the machine even when it is deployed or locked.')]),
    ...MACHINE_ACTIONS,
    op('GET', 'power_parameters', 'Get power parameters', async ({ svc, user, path }) =>
      (await getMachine(svc, user, path.system_id)).power_parameters, [], true),
    ...STORAGE_MACHINE_ACTIONS,
    op('GET', 'get_token', 'Get a machine token', async ({ svc, user, path }) => machineToken(svc, user, path.system_id), [], true),
    op('POST', 'set_workload_annotations', 'Set key=value data', async ({ svc, user, path, args }) => {
      const m = await getMachine(svc, user, path.system_id);
      await setWorkloadAnnotations(svc, user, m, args.pairsExcept([]));
      return renderMachine(await getMachine(svc, user, path.system_id));
    }, [p.str('key', 'key can be any string value. Specify several keys with key=value pairs; an empty value removes the key.')]),
  ],
};
MachineHandler.actions.push({ ...MachineHandler.actions.at(-1)!, name: 'set_owner_data', op: 'set_owner_data', doc: 'Deprecated, use set_workload_annotations' });
