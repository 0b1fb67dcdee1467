import { validatePowerParameters } from '../../domain/power/schemas.ts';

/** Power type + parameters from the API; an empty type means "no power control configured yet". */
export function checkPower(type: string | undefined, params: Record<string, string>, skipCheck = false):
  { power: { type: string; params: Record<string, string> } } | { none: true } | { errors: Record<string, string[]> } {
  if (!type) {
    if (Object.keys(params).length) return { errors: { power_type: ['Set power_type when giving power parameters.'] } };
    return { none: true };
  }
  const v = validatePowerParameters(type, params, { skipCheck });
  return 'errors' in v ? v : { power: { type, params: v.params } };
}
