/**
 * What a machine reports about its own progress (through the metadata service, later), and in which
 * statuses each report means something. Workflows wait on these reports; a report in a status where it
 * means nothing is refused with MAAS's signal text.
 */
import { NodeStatus as S, statusName } from '../machine/status.ts';

export type ReportKind =
  | 'booting'            // the machine asked for its boot configuration (resets the status timeout)
  | 'installing'         // the installer reports progress (resets the status timeout)
  | 'installed'          // the installer finished and turned network boot off
  | 'commissioning_done' // commissioning scripts finished and results are stored
  | 'testing_done'       // tests passed
  | 'deployed'           // the installed OS fetched its user data
  | 'erased'             // disks erased
  | 'rescue_ready'       // the rescue environment is up
  | 'failed';            // the machine reports a failure (message says what)

export const REPORT_KINDS: readonly ReportKind[] = ['booting', 'installing', 'installed', 'commissioning_done', 'testing_done',
  'deployed', 'erased', 'rescue_ready', 'failed'];

const WAITING = [S.COMMISSIONING, S.TESTING, S.DEPLOYING, S.DISK_ERASING, S.ENTERING_RESCUE_MODE] as number[];
const ACCEPTED_IN: Record<ReportKind, readonly number[]> = {
  booting: WAITING,
  installing: [S.DEPLOYING],
  installed: [S.DEPLOYING],
  commissioning_done: [S.COMMISSIONING],
  testing_done: [S.TESTING],
  deployed: [S.DEPLOYING],
  erased: [S.DISK_ERASING],
  rescue_ready: [S.ENTERING_RESCUE_MODE],
  failed: WAITING,
};

export function reportAccepted(kind: ReportKind, status: number): boolean {
  return ACCEPTED_IN[kind].includes(status);
}

/** Progress reports that give the machine a fresh status timeout (as MAAS does on boot and installer events). */
export const refreshesTimeout = (kind: ReportKind) => kind === 'booting' || kind === 'installing' || kind === 'installed';

export const reportRefusal = (status: number) => `Machine status isn't valid (status is ${statusName(status)})`;
