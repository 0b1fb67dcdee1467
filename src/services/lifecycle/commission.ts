/**
 * Commissioning: the machine boots the ephemeral environment, which inventories it and runs the
 * commissioning scripts (then the tests, when any are selected), and reports back. Status COMMISSIONING
 * now; the `commission` workflow powers the machine and waits for its report.
 */
import { invalid } from '../../domain/errors.ts';
import { NodeStatus } from '../../domain/machine/status.ts';
import type { NodeRow } from '../../store/repos/machines.ts';
import type { Actor, Queryable, ServiceContext } from '../context.ts';
import { beginWorkflow, describeActor, planOrThrow, setStatus, wake, withMachine } from './machine-tx.ts';

export interface CommissionOptions {
  enable_ssh?: boolean; skip_bmc_config?: boolean; skip_networking?: boolean; skip_storage?: boolean;
  commissioning_scripts?: string; testing_scripts?: string; comment?: string;
}

const SCRIPT_LIST = /^\s*[\w.+-]+(\s*,\s*[\w.+-]+)*\s*$/;

/** Script selections are comma-separated names or tags; `testing_scripts=none` runs no tests. */
export function checkScriptLists(o: { commissioning_scripts?: string; testing_scripts?: string }) {
  const errors: Record<string, string[]> = {};
  for (const k of ['commissioning_scripts', 'testing_scripts'] as const) {
    const v = o[k];
    if (v !== undefined && v.trim() !== '' && !SCRIPT_LIST.test(v)) errors[k] = ['Enter script names or tags separated by commas.'];
  }
  if (Object.keys(errors).length) throw invalid(errors);
}

export const scriptList = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Whether tests run after commissioning: only when some are selected (Plinth has no default test set yet). */
const testsSelected = (testing: string[]) => testing.length > 0 && !(testing.length === 1 && testing[0] === 'none');

/** Starts commissioning on a locked machine row (shared by `commission`, `accept` and machine creation). */
export async function startCommissioning(q: Queryable, ctx: ServiceContext, actor: Actor | null, m: NodeRow,
  o: CommissionOptions & { enlisting?: boolean }): Promise<void> {
  const testing = scriptList(o.testing_scripts);
  const deadline = await setStatus(q, ctx, m, {
    to: NodeStatus.COMMISSIONING, username: actor?.username ?? '', description: describeActor(actor, o.comment),
    patch: { enable_ssh: o.enable_ssh ?? false },
  });
  await beginWorkflow(q, ctx, m, {
    kind: 'commission', deadline, createdBy: actor?.username ?? '',
    data: {
      enable_ssh: o.enable_ssh ?? false, skip_bmc_config: o.skip_bmc_config ?? false, skip_networking: o.skip_networking ?? false,
      skip_storage: o.skip_storage ?? false, commissioning_scripts: scriptList(o.commissioning_scripts), testing_scripts: testing,
      run_tests: testsSelected(testing), enlisting: o.enlisting ?? false,
    },
  });
}

export async function commission(ctx: ServiceContext, actor: Actor, systemId: string, o: CommissionOptions = {}) {
  checkScriptLists(o);
  await withMachine(ctx, actor, systemId, async (q, m) => {
    planOrThrow('commission', m, actor);
    await startCommissioning(q, ctx, actor, m, o);
  });
  wake(ctx);
}
