/**
 * The power driver contract. A driver is one file: its name, its parameter schema as data (taken from the
 * domain's power type schemas, so the API's `power_parameters` validation, `describe_power_types`, the CLI
 * and the UI all read the same list), an offline `validate`, and the actions. Drivers make exactly ONE
 * attempt per call; the rack's PowerService owns retries, backoff, per-BMC serialisation, time bounds and
 * verify-after-set. Every failure is a PowerError that says whether a retry can help.
 */
import type { PowerField } from '../../../domain/power/schemas.ts';

export type { PowerField };
export type PowerParams = Record<string, string>;
/** What a BMC reports: `error` means the BMC answered but could not tell the state. */
export type PowerState = 'on' | 'off' | 'unknown' | 'error';
export type BootDevice = 'pxe' | 'disk';
export type PowerAction = 'on' | 'off' | 'cycle' | 'query' | 'boot';

/** Stable error codes; the service and the API edge branch on `retryable`, people read `message`. */
export type PowerErrorCode =
  | 'auth'          // the BMC refused the credentials or privilege: retrying cannot help
  | 'unreachable'   // no answer / connection refused / network down
  | 'timeout'       // the command did not finish within its time bound
  | 'busy'          // the BMC answered "try later" (HTTP 503/409, IPMI node busy)
  | 'bmc'           // the BMC answered with a failure we cannot classify further
  | 'unsupported'   // the BMC or driver does not offer this operation
  | 'invalid'       // the parameters are unusable (caught before talking to the BMC where possible)
  | 'protocol'      // the BMC answered something we could not understand
  | 'verify';       // the action was accepted but the state did not follow within the verify window

export class PowerError extends Error {
  override readonly name = 'PowerError';
  constructor(readonly code: PowerErrorCode, message: string, readonly retryable: boolean) {
    super(message);
  }
}

/** Per-call context: `signal` aborts the attempt; `timeoutMs` lets a driver size its own protocol timeouts. */
export interface PowerContext {
  signal?: AbortSignal;
  timeoutMs?: number;
}
export const DEFAULT_TIMEOUT_MS = 20_000;

/** An action's outcome. `note` explains anything the caller should show the operator (e.g. manual power). */
export interface ActionResult { note?: string }

export interface PowerOffOptions { mode?: 'soft' | 'hard' }

export interface PowerDriver {
  readonly name: string;
  readonly description: string;
  readonly fields: readonly PowerField[];
  /** Whether queryState can report real on/off. */
  readonly queryable: boolean;
  /** Whether setBootDevice is offered. */
  readonly canSetBootDevice: boolean;
  /** Debian packages whose commands this driver runs (reported as `missing_packages` when absent). */
  readonly requiredCommands: readonly { command: string; package: string }[];
  /** Pure and offline: a list of readable problems with `params`; empty when usable. Never touches the BMC. */
  validate(params: PowerParams): string[];
  /** Which BMC the parameters address: the service runs one command at a time per key. */
  bmcKey(params: PowerParams): string;
  powerOn(params: PowerParams, ctx?: PowerContext): Promise<ActionResult>;
  powerOff(params: PowerParams, ctx?: PowerContext, opts?: PowerOffOptions): Promise<ActionResult>;
  powerCycle(params: PowerParams, ctx?: PowerContext): Promise<ActionResult>;
  queryState(params: PowerParams, ctx?: PowerContext): Promise<PowerState>;
  /** Next boot only. Present only when canSetBootDevice. */
  setBootDevice?(params: PowerParams, device: BootDevice, ctx?: PowerContext): Promise<ActionResult>;
}

/** The values of the secret fields present in `params` (what must never appear in a message). */
export function secretValues(fields: readonly PowerField[], params: PowerParams): string[] {
  return fields.filter((f) => f.secret && params[f.name]).map((f) => params[f.name]);
}

/** Replaces every occurrence of each secret (and its URL-encoded form) in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (!s) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join('********');
  }
  return out;
}

/** Returns a PowerError whose message has the secrets removed (keeps code and retryable). */
export function scrubError(err: PowerError, secrets: readonly string[]): PowerError {
  const message = scrub(err.message, secrets);
  return message === err.message ? err : new PowerError(err.code, message, err.retryable);
}

/** The effective timeout for one attempt. */
export const timeoutOf = (ctx?: PowerContext) => Math.max(1, ctx?.timeoutMs ?? DEFAULT_TIMEOUT_MS);

/** Throws a retryable timeout error if the context is already aborted. */
export function throwIfAborted(ctx?: PowerContext): void {
  if (ctx?.signal?.aborted) throw new PowerError('timeout', 'The power command was cancelled before it finished.', true);
}
