/**
 * MachinesHandler ops that act on many machines: MAAS's `release` (repeated `machines`, as gomaasapi
 * sends it), `accept` and `accept_all`; and Plinth's `bulk_action` (one action on every machine a filter
 * selects, as one job) with `bulk_status` to follow its progress. Spread into MachinesHandler.
 */
import { accept, acceptAll } from '../../../services/lifecycle/accept.ts';
import { bulkJobStatus, createBulkJob } from '../../../services/lifecycle/bulk-jobs.ts';
import { releaseMany } from '../../../services/lifecycle/release.ts';
import { listMachines } from '../../../services/machines/access.ts';
import type { Actor, ServiceContext } from '../../../services/context.ts';
import { op, p, type ActionDecl } from '../declare.ts';
import { renderMachine } from '../render/machine.ts';
import { COMMISSION_PARAMS, DEPLOY_PARAMS, RELEASE_PARAMS, actionParams } from './machine-actions.ts';
import { LIST_PARAMS, listQuery } from './machine-params.ts';

const loadMachinesByIds = async (svc: ServiceContext, user: Actor, ids: string[]) => (ids.length ? listMachines(svc, user, { id: ids }) : []);

const ACTION_PARAMS = [...COMMISSION_PARAMS, ...DEPLOY_PARAMS.filter((s) => s.name !== 'agent_name' && s.name !== 'comment'), ...RELEASE_PARAMS,
  p.str('stop_mode', 'power_off: soft or hard.')];

export const MACHINES_BULK_ACTIONS: ActionDecl[] = [
  op('POST', 'release', 'Release machines', async ({ svc, user, args }) =>
    releaseMany(svc, user, args.list('machines'), { comment: args.str('comment') }),
  [p.list('machines', 'A list of system_ids of the machines which are to be released. (An empty list is acceptable).', true), p.str('comment', 'Optional comment for the event log.')]),
  op('POST', 'accept', 'Accept declared machines', async ({ svc, user, args }) =>
    (await loadMachinesByIds(svc, user, await accept(svc, user, args.list('machines')))).map((m) => renderMachine(m)),
  [p.list('machines', 'A list of system_ids of the machines whose enlistment is to be accepted.')], true),
  op('POST', 'accept_all', 'Accept all declared machines', async ({ svc, user }) =>
    (await loadMachinesByIds(svc, user, await acceptAll(svc, user))).map((m) => renderMachine(m)), [], true),
  op('POST', 'bulk_action', 'Apply one action to every machine matching the filters, as one job', async ({ svc, user, args }) =>
    createBulkJob(svc, user, args.str('action')!, listQuery(args), actionParams(args)),
  [p.str('action', 'The action: commission, test, abort, deploy, release, mark_broken, mark_fixed, rescue_mode, exit_rescue_mode, override_failed_testing, lock, unlock, power_on or power_off.', true),
    ...LIST_PARAMS, ...ACTION_PARAMS]),
  op('GET', 'bulk_status', 'Progress of a bulk action job', async ({ svc, user, args }) => bulkJobStatus(svc, user, args.int('id')!),
    [p.int('id', 'The job id that bulk_action returned.', true)]),
];
