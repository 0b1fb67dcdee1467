import { canonicalName, parseSetting, SETTINGS, unknownSettingMessage, type ConfigValue } from '../domain/config.ts';
import { forbidden, invalid } from '../domain/errors.ts';
import { configRepo } from '../store/repos/config.ts';
import type { Actor, Queryable, ServiceContext } from './context.ts';

export async function getConfig(q: Queryable, name: string): Promise<ConfigValue> {
  const key = canonicalName(name);
  const setting = SETTINGS[key];
  if (!setting) throw invalid({ [name]: [unknownSettingMessage(name)] });
  const stored = await configRepo.get(q, key);
  return stored === undefined ? setting.default : stored;
}

export async function setConfig(ctx: ServiceContext, actor: Actor, name: string, raw: string) {
  if (!actor.isAdmin) throw forbidden();
  const parsed = parseSetting(name, raw);
  if ('error' in parsed) throw invalid({ [name]: [parsed.error] });
  await configRepo.set(ctx.db, canonicalName(name), parsed.value);
}
