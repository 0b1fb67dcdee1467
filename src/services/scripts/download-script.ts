/** A script's text: the current version, or the version with id `revision` from its history. */
import { badRequest } from '../../domain/errors.ts';
import type { ServiceContext } from '../context.ts';
import { findScript } from './get-script.ts';

export async function downloadScript(ctx: ServiceContext, nameOrId: string, revision?: number): Promise<string> {
  const { view } = await findScript(ctx.db, nameOrId);
  if (revision === undefined) return view.history[0]?.content ?? '';
  const version = view.history.find((v) => v.id === revision);
  if (!version) throw badRequest(`${revision} not found in history`);
  return version.content;
}
