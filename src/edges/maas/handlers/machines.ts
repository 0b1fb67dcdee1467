import { invalid } from '../../../domain/errors.ts';
import { getMachine, listMachines, listMachineVersions } from '../../../services/machines/access.ts';
import { machinesJson } from '../render/cached.ts';
import { jsonArrayReply } from '../replies.ts';
import { createMachine, type NewMachine } from '../../../services/machines/create.ts';
import { isMacRegistered, powerParametersOf } from '../../../services/machines/queries.ts';
import { crud, op, p, type ActionCtx, type HandlerDecl } from '../declare.ts';
import { renderAnonMachine, renderMachine } from '../render/machine.ts';
import { CREATE_PARAMS, LIST_PARAMS, listQuery } from './machine-params.ts';
import { MACHINES_BULK_ACTIONS } from './machines-bulk.ts';
import { allocateActions } from './machines-allocate.ts';

function newMachine(args: ActionCtx['args']): NewMachine {
  let power = args.prefix('power_parameters_');
  const json = args.str('power_parameters');
  if (json !== undefined && json !== '') {
    let parsed: unknown;
    try { parsed = JSON.parse(json); } catch { throw invalid({ power_parameters: ['Enter valid JSON.'] }); }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalid({ power_parameters: ['Enter a JSON object.'] });
    power = { ...Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)])), ...power };
  }
  const arch = args.str('architecture');
  const sub = args.str('subarchitecture');
  return {
    architecture: arch && sub && !arch.includes('/') ? `${arch}/${sub}` : arch,
    mac_addresses: args.list('mac_addresses'), hostname: args.str('hostname'), description: args.str('description'),
    domain: args.str('domain'), zone: args.str('zone'), pool: args.str('pool'), power_type: args.str('power_type'),
    power_parameters: power, deployed: args.bool('deployed'), min_hwe_kernel: args.str('min_hwe_kernel'), commission: args.bool('commission'),
  };
}

const isRegistered = op('GET', 'is_registered', 'MAC address registered', async ({ svc, args }) => isMacRegistered(svc.db, args.str('mac_address')!), [p.str('mac_address', 'The MAC address to be checked.', true)]);

export const MachinesHandler: HandlerDecl = {
  name: 'MachinesHandler',
  path: '/machines/',
  doc: 'Manage the collection of all the machines in the MAAS.',
  actions: [
    crud.read('List Nodes visible to the user', async ({ svc, user, args, deps }) => {
      const parts = await machinesJson(svc, deps.machineCache, await listMachineVersions(svc, user, listQuery(args)));
      return jsonArrayReply(parts);
    }, LIST_PARAMS),
    crud.create('Create a new machine', async ({ svc, user, args }) => {
      const node = await createMachine(svc, user, newMachine(args));
      return renderMachine(await getMachine(svc, user, node.system_id));
    }, CREATE_PARAMS),
    isRegistered,
    ...allocateActions,
    op('GET', 'list_allocated', 'List allocated', async ({ svc, user }) =>
      (await listMachines(svc, { ...user, isAdmin: false }, { owner: [user.username] })).map((m) => renderMachine(m))),
    op('GET', 'power_parameters', 'Get power parameters', async ({ svc, args }) => powerParametersOf(svc.db, args.list('id')), [p.list('id', 'A system ID. To request more than one machine, provide multiple id arguments in the request.')], true),
    ...MACHINES_BULK_ACTIONS,
  ],
  anonymous: {
    name: 'AnonMachinesHandler',
    doc: 'Anonymous access to Machines.',
    actions: [
      crud.create('Create a new machine', async ({ svc, args }) => {
        const node = await createMachine(svc, null, newMachine(args));
        return renderAnonMachine(await getMachine(svc, null, node.system_id));
      }, CREATE_PARAMS),
      isRegistered,
    ],
  },
};

