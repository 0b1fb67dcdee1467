/** Shared pieces of the network use cases: permission, field errors, names, address parsing. */
import { forbidden, invalid } from '../../domain/errors.ts';
import { formatIp, tryParseIp } from '../../domain/network/ip.ts';
import type { ValidationIssue } from '../../domain/network/validate.ts';
import type { Actor } from '../context.ts';

export function requireAdmin(actor: Actor) {
  if (!actor.isAdmin) throw forbidden();
}

/** Domain validation issues → MAAS's 400 `{"field": ["message", …]}` (fieldless ones under `__all__`). */
export function throwIssues(issues: ValidationIssue[]) {
  if (!issues.length) return;
  const fields: Record<string, string[]> = {};
  for (const i of issues) (fields[i.field ?? '__all__'] ??= []).push(i.message);
  throw invalid(fields);
}

const NAME = /^[\w-]{1,256}$/;
/** MAAS model names (fabrics, spaces, subnets' VLAN names): letters, digits, `_` and `-`. */
export function checkName(field: string, name: string) {
  if (!NAME.test(name)) throw invalid({ [field]: [`"${name}" is not a valid name: use letters, digits, underscores and hyphens only.`] });
}

/** One address in canonical text, or a field error naming the input. */
export function parseAddress(field: string, text: string): string {
  const a = tryParseIp(text.trim());
  if (!a) throw invalid({ [field]: [`"${text}" is not a valid IP address.`] });
  return formatIp(a);
}

/** A list given as one string separated by spaces and/or commas (MAAS accepts both), or as repeats. */
export const splitList = (values: string[]) => values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);

/** The 'int' the MAAS forms accept for booleans given as 0/1 (allow_dns=1, managed=0, …). */
export const flag = (v: number | boolean | undefined) => (v === undefined ? undefined : typeof v === 'boolean' ? v : v !== 0);

/** MAAS link modes from address rows (for renderers). */
export { linkMode } from '../../store/repos/network-ips.ts';
