/**
 * How long a machine may stay in a transitional status before it is marked failed (maas-api-spec.md §4.3):
 * `node_timeout` minutes (config, default 30) for commissioning, deploying, disk erasing, entering rescue
 * mode and testing; a fixed 5 minutes for releasing and exiting rescue mode. Other statuses never time out.
 */
import { FAILURE_STATUS, NodeStatus as S } from '../machine/status.ts';

const FIXED_MINUTES: Record<number, number> = { [S.RELEASING]: 5, [S.EXITING_RESCUE_MODE]: 5 };
const CONFIGURED = [S.COMMISSIONING, S.DEPLOYING, S.DISK_ERASING, S.ENTERING_RESCUE_MODE, S.TESTING] as number[];

/** Minutes the status may last, or null when it has no timeout. */
export function statusTimeoutMinutes(status: number, nodeTimeoutMinutes: number): number | null {
  if (status in FIXED_MINUTES) return FIXED_MINUTES[status];
  return CONFIGURED.includes(status) ? nodeTimeoutMinutes : null;
}

export function statusDeadline(status: number, nodeTimeoutMinutes: number, now: Date): Date | null {
  const minutes = statusTimeoutMinutes(status, nodeTimeoutMinutes);
  return minutes === null ? null : new Date(now.getTime() + minutes * 60_000);
}

/** The status a timed-out or failed transitional status becomes (COMMISSIONING → FAILED_COMMISSIONING, …). */
export function failureStatus(status: number): number | undefined {
  return FAILURE_STATUS[status];
}
