/**
 * The lifecycle workflows, step by step. Each ends by moving the machine to its resting status in the
 * transaction that completes the workflow; a failure or a timeout moves it to the matching failed
 * status instead (the runner does that).
 */
import { NodeStatus as S } from '../domain/machine/status.ts';
import { setStatus } from '../services/lifecycle/machine-tx.ts';
import { powerOffLater } from '../services/lifecycle/status-actions.ts';
import { releaseAutoAddresses } from '../services/network/links.ts';
import type { Queryable, ServiceContext } from '../services/context.ts';
import type { NodePatch } from '../store/repos/machine-write.ts';
import type { NodeRow } from '../store/repos/machines.ts';
import { awaitReport, awaitSign, bootMachine, powerOff, powerOn, setBootDevice } from './steps.ts';
import { bulkWorkflow } from './bulk.ts';
import type { Apply, StepDef, WorkflowDef } from './types.ts';
import { applyDefaultStorageLayout } from '../services/storage/default-layout.ts';
import { applyInitialNetworking } from '../services/network/initial.ts';

/** A last step: move the machine to `to` (computed from the workflow's data) with an event. */
const settle = (name: string, description: string, to: (d: Record<string, unknown>) => number,
  patch: (d: Record<string, unknown>, to: number) => Record<string, unknown> = () => ({}), after?: (svc: ServiceContext, d: Record<string, unknown>) => Apply): StepDef => ({
  name, label: 'recording the outcome',
  async run(ctx) {
    const target = to(ctx.data);
    const apply: Apply = async (q, m) => {
      await setStatus(q, ctx.svc, m!, { to: target, username: '', description, patch: patch(ctx.data, target) as NodePatch });
      if (after) await after(ctx.svc, ctx.data)(q, m);
    };
    return { done: true, apply };
  },
});

const returnTo = (d: Record<string, unknown>) => (typeof d.return_to === 'number' ? d.return_to : S.READY);
const toDeployed = (d: Record<string, unknown>) => returnTo(d) === S.DEPLOYED;

/** Commissioning → (testing) → READY, or NEW for a machine that enlisted itself. */
const commission: WorkflowDef = {
  kind: 'commission',
  steps: [
    // A machine that enlisted itself is already running the ephemeral environment: no boot.
    setBootDevice('boot_network', 'pxe', (d) => !d.enlisting),
    bootMachine('power_on', (d) => !d.enlisting),
    awaitReport('await_commissioning', 'waiting for the machine to report its commissioning results', ['commissioning_done']),
    {
      // As MAAS, once the commissioning results are in (before any test, whatever the tests' outcome):
      // the rediscovered disks get the default storage layout and the boot interface its initial AUTO
      // link, unless storage or networking was skipped.
      name: 'start_testing', label: 'starting the tests',
      async run(ctx) {
        const layout = async (q: Queryable, m: NodeRow | undefined) => {
          if (!m) return;
          if (ctx.data.skip_storage !== true) await applyDefaultStorageLayout(q, m);
          if (ctx.data.skip_networking !== true) await applyInitialNetworking(q, m);
        };
        if (!ctx.data.run_tests) return { next: true, apply: async (q, m) => { await layout(q, m); } };
        return { next: true, apply: async (q, m) => {
          await layout(q, m);
          return { deadline: await setStatus(q, ctx.svc, m!, { to: S.TESTING, username: '', description: 'Running the selected tests' }) };
        } };
      },
    },
    awaitReport('await_testing', 'waiting for the machine to report its test results', ['testing_done'], (d) => d.run_tests === true),
    powerOff('power_off'),
    settle('finish', 'Commissioning finished', (d) => (d.enlisting ? S.NEW : S.READY), () => ({ owner_id: null })),
  ],
};

/** Testing → back where it started (or READY); a deployed machine boots its disk again. */
const test: WorkflowDef = {
  kind: 'test',
  steps: [
    setBootDevice('boot_network', 'pxe'),
    bootMachine('power_on'),
    awaitReport('await_testing', 'waiting for the machine to report its test results', ['testing_done']),
    setBootDevice('boot_disk', 'disk', toDeployed),
    bootMachine('power_on_disk', toDeployed),
    powerOff('power_off', (d) => !toDeployed(d)),
    settle('finish', 'Testing finished', returnTo),
  ],
};

/**
 * Deploying → DEPLOYED when the installed OS is up. Two waits, so that a timeout names where the machine
 * stalled: before the installer started (the deployment environment never booted: network, boot image,
 * firmware) or after (the install, the reboot, the installed OS). The installer's first sign is the
 * deployment environment fetching its user data on the curtin path or curtin's `cmd-install` event; an
 * ephemeral deploy runs the installer too (a stage that leaves the disks alone).
 */
const deploy: WorkflowDef = {
  kind: 'deploy',
  steps: [
    setBootDevice('boot_network', 'pxe'),
    bootMachine('power_on'),
    awaitSign('await_installer', 'waiting for the machine to boot the deployment environment and start the installer',
      ['installing', 'installed'], ['deployed']),
    awaitReport('await_deployed', 'waiting for the machine to report that the installed OS is up', ['deployed']),
    settle('finish', 'Deployment finished', () => S.DEPLOYED, (d) => (d.ephemeral_deploy ? {} : { netboot: false })),
  ],
};

const RELEASED = { owner_id: null, osystem: '', distro_series: '', hwe_kernel: null, agent_name: '', ephemeral_deploy: false,
  netboot: true, workload_annotations: {}, error_description: '' };

/** Releasing (power off) or disk erasing (boot, erase, power off) → READY, the machine back in the pool. */
const release: WorkflowDef = {
  kind: 'release',
  steps: [
    setBootDevice('boot_network', 'pxe', (d) => d.erase === true),
    bootMachine('power_on', (d) => d.erase === true),
    awaitReport('await_erased', 'waiting for the machine to report that its disks are erased', ['erased'], (d) => d.erase === true),
    powerOff('power_off'),
    settle('finish', 'Release finished', () => S.READY, () => RELEASED, () => async (q, m) => {
      await q.query('delete from node_user_data where node_id = $1', [m!.id]);
      await releaseAutoAddresses(q, m!); // AUTO links keep their place; their addresses go back to the pool
    }),
  ],
};

/** Entering rescue mode → RESCUE_MODE (previous status kept for the way back). */
const rescue: WorkflowDef = {
  kind: 'rescue',
  steps: [
    setBootDevice('boot_network', 'pxe'),
    bootMachine('power_on'),
    awaitReport('await_rescue', 'waiting for the rescue environment to come up', ['rescue_ready']),
    settle('finish', 'Rescue mode ready', () => S.RESCUE_MODE, (d) => ({ previous_status: returnTo(d) })),
  ],
};

/** Exiting rescue mode → the status before rescue; a deployed machine boots its disk. */
const exitRescue: WorkflowDef = {
  kind: 'exit_rescue',
  steps: [
    setBootDevice('boot_disk', 'disk', toDeployed),
    bootMachine('power_on_disk', toDeployed),
    powerOff('power_off', (d) => !toDeployed(d)),
    settle('finish', 'Left rescue mode', returnTo),
  ],
};

/** Plain power commands (the machine's power lane). */
const powerOnWorkflow: WorkflowDef = { kind: 'power_on', steps: [powerOn('power_on')] };
const powerOffWorkflow: WorkflowDef = { kind: 'power_off', steps: [powerOff('power_off')] };

export const WORKFLOWS: Record<string, WorkflowDef> = Object.fromEntries(
  [commission, test, deploy, release, rescue, exitRescue, powerOnWorkflow, powerOffWorkflow, bulkWorkflow].map((w) => [w.kind, w]),
);

/** After a timeout the machine is powered off, as MAAS's status monitor does. */
export const powerOffAfterTimeout = (svc: ServiceContext): Apply => async (q, m) => {
  if (m) await powerOffLater(q, svc, m as NodeRow, '');
};
