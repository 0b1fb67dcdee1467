/**
 * The power port: how the region's use cases and workflows reach a machine's BMC without knowing where
 * the rack is. The composition root implements it (today with the rack's PowerService in the same
 * process; later over the region↔rack link). Implementations own retries, per-BMC serialisation and
 * verify-after-set; a call here is one complete command.
 *
 * A region that can drive power attaches its port to the service context (`ctx.power`); a context
 * without one (a bare test region, a CLI command) drives no power, and nothing auto-commissions.
 */
import type { ServiceContext } from '../context.ts';

export type PowerState = 'on' | 'off' | 'unknown' | 'error';
export type PowerCommand = 'on' | 'off' | 'cycle' | 'query' | 'boot';

export interface PowerTarget {
  powerType: string;
  params: Record<string, string>;
}

export interface PowerCommandOptions {
  bootDevice?: 'pxe' | 'disk';
  offMode?: 'soft' | 'hard';
  signal?: AbortSignal;
}

export interface PowerResult {
  state: PowerState;
  note?: string;
}

/** A failed command: `retryable` says whether trying again later can help (unreachable BMC, busy, …). */
export class PowerPortError extends Error {
  override readonly name = 'PowerPortError';
  constructor(readonly code: string, message: string, readonly retryable: boolean) {
    super(message);
  }
}

export interface PowerPort {
  /** Whether this region can drive the power type at all (a driver exists and its tools are installed). */
  controls(powerType: string): boolean;
  /** Whether the power type can query the machine's real state. */
  queryable(powerType: string): boolean;
  /** Whether the power type can set the next boot device. */
  canSetBootDevice(powerType: string): boolean;
  /** Whether the power type needs a person to press the button (manual power). */
  manual(powerType: string): boolean;
  execute(target: PowerTarget, command: PowerCommand, opts?: PowerCommandOptions): Promise<PowerResult>;
}

/** Hooks a region gives its use cases: the power port, and a way to nudge the local workflow runner. */
export interface LifecycleHooks {
  power?: PowerPort;
  /** Called after work became runnable (a new workflow, a report from a machine): run it soon. */
  wakeWorkflows?: () => void;
}

declare module '../context.ts' {
  // Optional on every context: the composition root fills them; use cases check for them.
  interface ServiceContext {
    power?: PowerPort;
    wakeWorkflows?: () => void;
  }
}

/** Whether a machine's power settings are something this region can act on. */
export function powerUsable(ctx: ServiceContext, powerType: string): boolean {
  return !!powerType && !!ctx.power?.controls(powerType);
}
