/**
 * The lifecycle ops of MachineHandler (`POST machines/{system_id}/?op=…`, maas-api-spec.md §4.4 and the
 * handler catalog): declared once here and spread into MachineHandler. Each validates its parameters
 * (declared below), hands the work to the lifecycle use cases and answers with the machine.
 */
import { getMachine } from '../../../services/machines/access.ts';
import { performAction, type ActionParams, type ChangingAction } from '../../../services/lifecycle/perform.ts';
import { queryPowerState } from '../../../services/lifecycle/power.ts';
import { checkDeployImage } from '../../../services/boot-resources/deploy-image.ts';
import { op, p, type ActionCtx, type ActionDecl, type ParamSpec } from '../declare.ts';
import { renderMachine } from '../render/machine.ts';

const comment = p.str('comment', 'Optional comment for the event log.');
const flag = (name: string, doc: string) => p.int(name, `${doc} '1' == True, '0' == False.`);

export const COMMISSION_PARAMS: ParamSpec[] = [
  flag('enable_ssh', 'Whether to enable SSH for the commissioning environment using the user\'s SSH key(s).'),
  flag('skip_bmc_config', 'Whether to skip re-configuration of the BMC for IPMI based machines.'),
  flag('skip_networking', 'Whether to skip re-configuring the networking on the machine after the commissioning has completed.'),
  flag('skip_storage', 'Whether to skip re-configuring the storage on the machine after the commissioning has completed.'),
  p.str('commissioning_scripts', 'A comma separated list of commissioning script names and tags to be run.'),
  p.str('testing_scripts', 'A comma separated list of testing script names and tags to be run. Set to \'none\' to disable running tests.'),
  p.str('parameters', 'Scripts selected to run may define their own parameters.'),
];
export const DEPLOY_PARAMS: ParamSpec[] = [
  p.str('user_data', 'If present, this blob of base64-encoded user-data to be made available to the machines through the metadata service.'),
  p.str('osystem', 'If present, this parameter specifies the OS the machine will use.'),
  p.str('distro_series', 'If present, this parameter specifies the OS release the machine will use.'),
  p.str('hwe_kernel', 'If present, this parameter specified the kernel to be used on the machine.'),
  p.str('agent_name', 'An optional agent name to attach to the acquired machine.'),
  p.bool('ephemeral_deploy', 'Deploy a machine in Ephemeral mode.'),
  comment,
];
export const RELEASE_PARAMS: ParamSpec[] = [
  comment,
  p.bool('erase', 'Erase the disk when releasing.'),
  p.bool('secure_erase', 'Use the drive\'s secure erase feature if available.'),
  p.bool('quick_erase', 'Wipe 2MiB at the start and at the end of the drive to make data recovery inconvenient and unlikely to happen by accident.'),
  p.bool('force', 'Will force the release of a machine.'),
];

const asFlag = (v: number | undefined) => (v === undefined ? undefined : v !== 0);

/** Action parameters from a request, as the lifecycle use cases take them. */
export function actionParams(args: ActionCtx['args']): ActionParams {
  return {
    comment: args.str('comment') || args.str('error_description') || undefined,
    enable_ssh: asFlag(args.int('enable_ssh')), skip_bmc_config: asFlag(args.int('skip_bmc_config')),
    skip_networking: asFlag(args.int('skip_networking')), skip_storage: asFlag(args.int('skip_storage')),
    commissioning_scripts: args.str('commissioning_scripts'), testing_scripts: args.str('testing_scripts'),
    osystem: args.str('osystem'), distro_series: args.str('distro_series'), hwe_kernel: args.str('hwe_kernel'),
    user_data: args.str('user_data'), ephemeral_deploy: args.bool('ephemeral_deploy'), agent_name: args.str('agent_name'),
    erase: args.bool('erase'), secure_erase: args.bool('secure_erase'), quick_erase: args.bool('quick_erase'), force: args.bool('force'),
    stop_mode: args.str('stop_mode'),
  };
}

const action = (name: ChangingAction, doc: string, params: ParamSpec[], admin = false): ActionDecl =>
  op('POST', name, doc, async ({ svc, user, path, args }) => {
    if (name === 'deploy') await checkDeployImage(svc.db, args.str('osystem'), args.str('distro_series')); // a boot resource the region has
    await performAction(svc, user, path.system_id, name, actionParams(args));
    return renderMachine(await getMachine(svc, user, path.system_id));
  }, params, admin);

export const MACHINE_ACTIONS: ActionDecl[] = [
  action('commission', 'Commission a machine', COMMISSION_PARAMS, true),
  action('test', 'Begin testing process for a machine', [COMMISSION_PARAMS[0], COMMISSION_PARAMS[5], COMMISSION_PARAMS[6]], true),
  action('abort', 'Abort a machine\'s current operation', [comment]),
  action('deploy', 'Deploy a machine', DEPLOY_PARAMS),
  action('release', 'Release a machine', RELEASE_PARAMS),
  action('mark_broken', 'Mark a machine as Broken', [comment, p.str('error_description', 'Deprecated alias of comment.')]),
  action('mark_fixed', 'Mark a machine as Fixed', [comment], true),
  action('rescue_mode', 'Enter rescue mode', [], true),
  action('exit_rescue_mode', 'Exit rescue mode', [], true),
  action('override_failed_testing', 'Ignore failed tests', [comment], true),
  action('lock', 'Lock a machine', [comment]),
  action('unlock', 'Unlock a machine', [comment]),
  action('power_on', 'Turn on a machine', [DEPLOY_PARAMS[0], comment]),
  action('power_off', 'Power off a node', [p.str('stop_mode', 'Power-off mode. If \'soft\', perform a soft power down if the machine\'s power type supports it, otherwise perform a hard power off. Default: hard.'), comment]),
  op('GET', 'query_power_state', 'Get the power state of a node', async ({ svc, user, path }) => queryPowerState(svc, user, path.system_id)),
];
