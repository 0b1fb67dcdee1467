/**
 * Glue between a driver and the domain's power type schema: the fields a driver publishes and the
 * schema-level checks its `validate` starts from are the domain's, so there is one schema, not two.
 */
import { powerType, validatePowerParameters, type PowerField, type PowerTypeSchema } from '../../../domain/power/schemas.ts';
import type { PowerParams } from './driver.ts';

export function schemaOf(name: string): PowerTypeSchema {
  const schema = powerType(name);
  if (!schema) throw new Error(`No power type schema named ${name} in the domain's POWER_TYPES.`);
  return schema;
}

/** Schema checks (required, choices, URL and address shapes, unknown keys) as readable sentences. */
export function schemaErrors(name: string, params: PowerParams): string[] {
  const result = validatePowerParameters(name, params);
  if ('params' in result) return [];
  return Object.entries(result.errors).map(([key, msgs]) => `${key.replace(/^power_parameters_/, '')}: ${msgs.join(' ')}`);
}

/** `params` with every schema default filled in for fields not given (a given empty string is kept). */
export function withDefaults(fields: readonly PowerField[], params: PowerParams): PowerParams {
  const out: PowerParams = {};
  for (const f of fields) if (f.default !== undefined && f.default !== '') out[f.name] = f.default;
  for (const [k, v] of Object.entries(params)) if (v !== undefined) out[k] = v;
  return out;
}

/** What a driver says about itself, taken from its power-type schema (the one source of these facts). */
export function driverIdentity(schema: PowerTypeSchema) {
  return { name: schema.name, description: schema.description, fields: schema.fields, queryable: schema.queryable, canSetBootDevice: schema.canSetBootDevice };
}
