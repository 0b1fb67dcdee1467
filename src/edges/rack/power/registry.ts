/**
 * The one list of power drivers the rack offers, and what is derived from it: MAAS's
 * `describe_power_types` JSON and parameter listings with secrets stripped or masked.
 */
import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import type { PowerDriver, PowerParams } from './driver.ts';
import { ipmiDriver } from './ipmi.ts';
import { manualDriver } from './manual.ts';
import { redfishDriver } from './redfish.ts';
import { webhookDriver } from './webhook.ts';
import { dliDriver } from './dli.ts';
import { virshDriver } from './virsh.ts';

export const POWER_DRIVERS: readonly PowerDriver[] = [ipmiDriver, redfishDriver, webhookDriver, dliDriver, virshDriver, manualDriver];

export function findDriver(name: string, drivers: readonly PowerDriver[] = POWER_DRIVERS): PowerDriver | undefined {
  return drivers.find((d) => d.name === name);
}

/** MAAS's describe_power_types entry (`GET rackcontrollers/?op=describe_power_types`). */
export interface PowerTypeDescription {
  name: string;
  description: string;
  fields: Array<{
    name: string; label: string; required: boolean; field_type: string;
    choices: Array<[string, string]>; default: string | string[]; scope: 'bmc' | 'node'; secret: boolean;
  }>;
  chassis: boolean;
  can_probe: boolean;
  queryable: boolean;
  missing_packages: string[];
}

export function describePowerTypes(drivers: readonly PowerDriver[] = POWER_DRIVERS,
  missing: Record<string, string[]> = {}): PowerTypeDescription[] {
  return drivers.map((d) => ({
    name: d.name,
    description: d.description,
    fields: d.fields.map((f) => ({
      name: f.name,
      label: f.label,
      required: f.required,
      field_type: f.fieldType,
      choices: (f.choices ?? []).map(([v, l]) => [v, l] as [string, string]),
      // MAAS gives a multiple-choice default as a list of the chosen values.
      default: f.fieldType === 'multiple_choice' ? (f.default ?? '').split(',').filter(Boolean) : (f.default ?? ''),
      scope: f.scope,
      secret: f.secret,
    })),
    chassis: false,
    can_probe: false,
    queryable: d.queryable,
    missing_packages: missing[d.name] ?? [],
  }));
}

async function onPath(command: string): Promise<boolean> {
  const dirs = isAbsolute(command) ? [''] : (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  for (const dir of dirs) {
    try { await access(dir ? join(dir, command) : command, constants.X_OK); return true; } catch { /* next */ }
  }
  return false;
}

/** Debian packages each driver needs but this host lacks, keyed by driver name (for `missing_packages`). */
export async function detectMissingPackages(drivers: readonly PowerDriver[] = POWER_DRIVERS): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const d of drivers) {
    const missing = new Set<string>();
    for (const { command, package: pkg } of d.requiredCommands) if (!(await onPath(command))) missing.add(pkg);
    if (missing.size) out[d.name] = [...missing];
  }
  return out;
}

export const SECRET_MASK = '********';

/**
 * Parameters for a listing: secret fields are removed (`strip`) or replaced by a mask (`mark`).
 * Keys the driver does not declare, and every key of an unknown driver, are treated as secret.
 */
export function paramsForListing(driverName: string, params: PowerParams, mode: 'strip' | 'mark' = 'mark',
  drivers: readonly PowerDriver[] = POWER_DRIVERS): PowerParams {
  const driver = findDriver(driverName, drivers);
  const out: PowerParams = {};
  for (const [k, v] of Object.entries(params)) {
    const field = driver?.fields.find((f) => f.name === k);
    const secret = !driver || !field || field.secret;
    if (!secret) out[k] = v;
    else if (mode === 'mark') out[k] = SECRET_MASK;
  }
  return out;
}
