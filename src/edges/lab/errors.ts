/**
 * The lab's one error type. `code` is stable (the CLI maps it to an exit status and tests match on
 * it); `message` says what is wrong and what to do about it, in words a newcomer can act on.
 */
export type LabErrorCode =
  | 'not_root' // namespaces, bridges and taps need root (CAP_NET_ADMIN)
  | 'missing_packages' // a Debian package is not installed; the message holds the apt-get line
  | 'bad_option' // an option is invalid or conflicts with the host's own networks
  | 'already_up' // a lab with this state directory is running
  | 'not_found' // no lab / no such machine
  | 'command_failed'; // an external command (ip, qemu, ipmi_sim, …) failed

export class LabError extends Error {
  constructor(readonly code: LabErrorCode, message: string) {
    super(message);
    this.name = 'LabError';
  }
}
