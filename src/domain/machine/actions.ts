/**
 * What a user may do to a machine, from which statuses, and what MAAS answers when they may not
 * (maas-api-spec.md §4.4). Pure: the services load the machine, ask `planAction`, and carry out the plan.
 *
 * Permissions (MAAS's node permissions without RBAC):
 *  - view:  the machine is visible (unowned, or owned by the caller, or the caller is an admin);
 *  - edit:  unowned, or owned by the caller, or the caller is an admin — and the machine is not locked;
 *  - lock:  like edit, but a locked machine still qualifies (so it can be unlocked);
 *  - admin: the caller is an admin — and the machine is not locked.
 */
import { FAILURE_STATUS, NodeStatus as S, TRANSITIONS, statusName } from './status.ts';

export type MachineAction =
  | 'commission' | 'test' | 'abort' | 'deploy' | 'release' | 'mark_broken' | 'mark_fixed' | 'rescue_mode'
  | 'exit_rescue_mode' | 'override_failed_testing' | 'lock' | 'unlock' | 'power_on' | 'power_off' | 'query_power_state';

export const MACHINE_ACTIONS: readonly MachineAction[] = [
  'commission', 'test', 'abort', 'deploy', 'release', 'mark_broken', 'mark_fixed', 'rescue_mode', 'exit_rescue_mode',
  'override_failed_testing', 'lock', 'unlock', 'power_on', 'power_off', 'query_power_state',
];

export type Permission = 'view' | 'edit' | 'lock' | 'admin';

export const ACTION_PERMISSION: Record<MachineAction, Permission> = {
  commission: 'admin', test: 'admin', abort: 'edit', deploy: 'edit', release: 'edit', mark_broken: 'edit',
  mark_fixed: 'admin', rescue_mode: 'admin', exit_rescue_mode: 'admin', override_failed_testing: 'admin',
  lock: 'lock', unlock: 'lock', power_on: 'edit', power_off: 'edit', query_power_state: 'view',
};

const FAILED = Object.values(FAILURE_STATUS);
const COMMISSION_FROM: readonly number[] = [S.NEW, S.FAILED_COMMISSIONING, S.READY, S.BROKEN, S.FAILED_TESTING];

/** Statuses the API's `release` acts on (MAAS's RELEASABLE_STATUSES); READY and RELEASING are a no-op success. */
export const RELEASABLE: readonly number[] = [S.ALLOCATED, S.DEPLOYED, S.DEPLOYING, S.FAILED_DEPLOYMENT, S.FAILED_RELEASING, S.FAILED_DISK_ERASING];
const MARK_BROKEN_FROM: readonly number[] = [S.NEW, S.COMMISSIONING, S.READY, S.ALLOCATED, S.RELEASING, S.DEPLOYING, S.DEPLOYED, S.DISK_ERASING, S.TESTING, ...FAILED];
const RESCUE_FROM: readonly number[] = [S.NEW, S.FAILED_COMMISSIONING, S.READY, S.RESERVED, S.ALLOCATED, S.FAILED_DEPLOYMENT, S.DEPLOYED, S.MISSING,
  S.RETIRED, S.BROKEN, S.FAILED_DISK_ERASING, S.FAILED_ENTERING_RESCUE_MODE, S.FAILED_EXITING_RESCUE_MODE, S.FAILED_TESTING];
const EXIT_RESCUE_FROM: readonly number[] = [S.RESCUE_MODE, S.ENTERING_RESCUE_MODE, S.FAILED_ENTERING_RESCUE_MODE, S.FAILED_EXITING_RESCUE_MODE];
const TEST_FROM: readonly number[] = [S.FAILED_COMMISSIONING, S.NEW, S.READY, S.RESERVED, S.ALLOCATED, S.FAILED_DEPLOYMENT, S.DEPLOYED, S.MISSING,
  S.RETIRED, S.BROKEN, S.RESCUE_MODE, S.FAILED_RELEASING, S.FAILED_DISK_ERASING, S.FAILED_ENTERING_RESCUE_MODE,
  S.FAILED_EXITING_RESCUE_MODE, S.FAILED_TESTING];
/** After testing passes from these, the machine becomes READY rather than going back (NODE_TESTING_RESET_READY_TRANSITIONS). */
const TESTING_RESETS_TO_READY: readonly number[] = [S.NEW, S.COMMISSIONING, S.FAILED_DEPLOYMENT, S.MISSING, S.RETIRED, S.BROKEN, S.FAILED_RELEASING,
  S.FAILED_DISK_ERASING, S.FAILED_ENTERING_RESCUE_MODE, S.FAILED_EXITING_RESCUE_MODE, S.FAILED_TESTING];

/** MAAS's text for a status change its state machine refuses. */
export const invalidTransition = (from: number, to: number) => `Invalid transition: ${statusName(from)} -> ${statusName(to)}.`;

export interface MachineFacts {
  system_id: string;
  status: number;
  previous_status: number;
  owner_id: number | null;
  locked: boolean;
}
export interface Caller { id: number; isAdmin: boolean }

export type Refusal = { refused: 'forbidden' | 'conflict'; message: string };
export interface Plan {
  /** The status the machine moves to now (equal to `status` when it does not change). */
  to: number;
  /** Passing through ALLOCATED first (deploy or power_on from READY/ALLOCATED claims the machine). */
  allocate?: boolean;
  /** Nothing to do (release of a READY or RELEASING machine). */
  noop?: boolean;
}

export function hasPermission(perm: Permission, m: MachineFacts, c: Caller): boolean {
  const editable = c.isAdmin || m.owner_id === null || m.owner_id === c.id;
  switch (perm) {
    case 'view': return editable;
    case 'edit': return editable && !m.locked;
    case 'lock': return editable;
    case 'admin': return c.isAdmin && !m.locked;
  }
}

function permissionRefusal(action: MachineAction, m: MachineFacts): Refusal {
  if (m.locked) return { refused: 'forbidden', message: `Machine ${m.system_id} is locked; unlock it before you ${action.replace(/_/g, ' ')} it.` };
  if (ACTION_PERMISSION[action] === 'admin') return { refused: 'forbidden', message: 'This method is reserved for admin users.' };
  return { refused: 'forbidden', message: `You do not have permission to ${action.replace(/_/g, ' ')} machine ${m.system_id}.` };
}

const conflict = (message: string): Refusal => ({ refused: 'conflict', message });
const only = (from: readonly number[], m: MachineFacts, to: number): Plan | Refusal =>
  from.includes(m.status) ? { to } : conflict(invalidTransition(m.status, to));

/** Where a passed test run leaves the machine. */
export function afterTesting(previous: number): number {
  return TESTING_RESETS_TO_READY.includes(previous) ? S.READY : previous;
}

/** Decides an action for a caller on a machine: the plan, or MAAS's refusal (403 or 409 text). */
export function planAction(action: MachineAction, m: MachineFacts, c: Caller, opts: { erase?: boolean } = {}): Plan | Refusal {
  if (!hasPermission(ACTION_PERMISSION[action], m, c)) return permissionRefusal(action, m);
  // mark_broken through the API is for the machine's owner; Plinth also lets admins do it.
  if (action === 'mark_broken' && !c.isAdmin && m.owner_id !== c.id) return permissionRefusal(action, m);
  const st = m.status;
  switch (action) {
    case 'commission': return only(COMMISSION_FROM, m, S.COMMISSIONING);
    case 'test': return only(TEST_FROM, m, S.TESTING);
    case 'rescue_mode': return only(RESCUE_FROM, m, S.ENTERING_RESCUE_MODE);
    case 'exit_rescue_mode': return only(EXIT_RESCUE_FROM, m, S.EXITING_RESCUE_MODE);
    case 'mark_broken': return only(MARK_BROKEN_FROM, m, S.BROKEN);
    case 'mark_fixed':
      if (st !== S.BROKEN) return conflict("Can't mark a non-broken node as 'Ready'.");
      return { to: m.previous_status === S.DEPLOYED ? S.DEPLOYED : S.READY };
    case 'override_failed_testing':
      if (st !== S.FAILED_TESTING) return conflict(`Unable to override failed testing: machine ${m.system_id} is ${statusName(st)}, not Failed testing.`);
      return { to: m.previous_status === S.DEPLOYED ? S.DEPLOYED : S.READY };
    case 'abort': {
      const to = { [S.COMMISSIONING]: S.NEW, [S.DEPLOYING]: S.ALLOCATED, [S.DISK_ERASING]: S.FAILED_DISK_ERASING, [S.TESTING]: afterTestingAbort(m) }[st];
      return to === undefined ? conflict(`Cannot abort in current state: node ${m.system_id} is in state ${statusName(st)}.`) : { to };
    }
    case 'deploy':
      if (st === S.READY) {
        if (m.owner_id !== null && m.owner_id !== c.id) return conflict("Can't allocate a machine belonging to another user.");
        return { to: S.DEPLOYING, allocate: true };
      }
      return TRANSITIONS[st]?.includes(S.DEPLOYING) ? { to: S.DEPLOYING } : conflict(`Can't deploy a machine that is in the '${statusName(st)}' state`);
    case 'release':
      if (st === S.READY || st === S.RELEASING) return { to: st, noop: true };
      if (!RELEASABLE.includes(st)) return conflict(`Machine cannot be released in its current state ('${statusName(st)}').`);
      return { to: opts.erase ? S.DISK_ERASING : S.RELEASING };
    case 'lock':
      if (m.locked) return conflict('Machine is already locked');
      return st === S.DEPLOYED || st === S.DEPLOYING ? { to: st } : conflict("Can't lock, node is not deployed or deploying");
    case 'unlock': return m.locked ? { to: st } : conflict('Machine is not locked');
    case 'power_on':
      if (m.owner_id === null) return conflict("Can't start node: it hasn't been allocated.");
      return st === S.ALLOCATED ? { to: S.DEPLOYING } : { to: st };
    case 'power_off': case 'query_power_state': return { to: st };
  }
}

/** Aborting tests goes back where testing started from (TESTING → previous status). */
function afterTestingAbort(m: MachineFacts): number {
  return m.previous_status === S.TESTING ? S.READY : m.previous_status;
}

export const isRefusal = (p: Plan | Refusal): p is Refusal => 'refused' in p;
