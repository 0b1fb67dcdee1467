/** One entry point for every state-changing machine action by name (the API edge and bulk jobs use it). */
import { badRequest } from '../../domain/errors.ts';
import type { MachineAction } from '../../domain/machine/actions.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { commission } from './commission.ts';
import { deploy } from './deploy.ts';
import { powerOff, powerOn } from './power.ts';
import { release } from './release.ts';
import { exitRescueMode, rescueMode, test } from './rescue-test.ts';
import { abort, markBroken, markFixed, overrideFailedTesting, setLocked } from './status-actions.ts';

export interface ActionParams {
  comment?: string;
  // commission / test
  enable_ssh?: boolean; skip_bmc_config?: boolean; skip_networking?: boolean; skip_storage?: boolean;
  commissioning_scripts?: string; testing_scripts?: string;
  // deploy / power_on
  osystem?: string; distro_series?: string; hwe_kernel?: string; user_data?: string; ephemeral_deploy?: boolean; agent_name?: string;
  // release
  erase?: boolean; secure_erase?: boolean; quick_erase?: boolean; force?: boolean;
  // power_off
  stop_mode?: string;
}

/** Actions that change state (query_power_state only reads). */
export type ChangingAction = Exclude<MachineAction, 'query_power_state'>;
export const CHANGING_ACTIONS: readonly ChangingAction[] = ['commission', 'test', 'abort', 'deploy', 'release', 'mark_broken',
  'mark_fixed', 'rescue_mode', 'exit_rescue_mode', 'override_failed_testing', 'lock', 'unlock', 'power_on', 'power_off'];

export function isChangingAction(name: string): name is ChangingAction {
  return (CHANGING_ACTIONS as readonly string[]).includes(name);
}

export async function performAction(ctx: ServiceContext, actor: Actor, systemId: string, action: ChangingAction, p: ActionParams = {}): Promise<void> {
  switch (action) {
    case 'commission': return commission(ctx, actor, systemId, p);
    case 'test': return test(ctx, actor, systemId, p);
    case 'abort': return abort(ctx, actor, systemId, p.comment);
    case 'deploy': return deploy(ctx, actor, systemId, p);
    case 'release': return release(ctx, actor, systemId, p);
    case 'mark_broken': return markBroken(ctx, actor, systemId, p.comment);
    case 'mark_fixed': return markFixed(ctx, actor, systemId, p.comment);
    case 'rescue_mode': return rescueMode(ctx, actor, systemId, p.comment);
    case 'exit_rescue_mode': return exitRescueMode(ctx, actor, systemId, p.comment);
    case 'override_failed_testing': return overrideFailedTesting(ctx, actor, systemId, p.comment);
    case 'lock': return setLocked(ctx, actor, systemId, true, p.comment);
    case 'unlock': return setLocked(ctx, actor, systemId, false, p.comment);
    case 'power_on': return powerOn(ctx, actor, systemId, p);
    case 'power_off': return powerOff(ctx, actor, systemId, p);
    default: throw badRequest(`Unknown action: ${String(action)}.`);
  }
}
