/**
 * Boot sources (admin): simplestreams mirrors the region imports from. Plinth imports from a local
 * directory (a `file://` URL or an absolute path on the region host) or an http(s) URL; no source is
 * configured by default. `keyring_filename` / `keyring_data` are kept for MAAS clients; Plinth does
 * not verify mirror signatures (each file's sha256 is checked against the products file).
 */
import { forbidden, invalid, noMatch } from '../../domain/errors.ts';
import { bootSourcesRepo, type BootSourceRow } from '../../store/repos/boot-resources.ts';
import type { Actor, ServiceContext } from '../context.ts';

export interface SourceInput { url?: string; keyring_filename?: string; keyring_data?: Buffer }

const URL_FORM = /^(https?:\/\/[^\s/]+(\/\S*)?|file:\/\/\/\S*|\/\S*)$/i;

function checkUrl(url: string | undefined, required: boolean): string | undefined {
  const u = url?.trim();
  if (!u) {
    if (required) throw invalid({ url: ['This field is required.'] });
    return undefined;
  }
  if (!URL_FORM.test(u) || u.length > 1024) throw invalid({ url: ['Enter a valid URL: http(s)://…, file:///path or an absolute path on the region host.'] });
  return u;
}

const asId = (raw: string | number) => { const n = Number(raw); return Number.isSafeInteger(n) && n > 0 && n < 2 ** 31 ? n : 0; };

export async function getSource(ctx: ServiceContext, rawId: string | number): Promise<BootSourceRow> {
  const s = await bootSourcesRepo.byId(ctx.db, asId(rawId));
  if (!s) throw noMatch('BootSource');
  return s;
}

export const listSources = (ctx: ServiceContext) => bootSourcesRepo.list(ctx.db);

export async function createSource(ctx: ServiceContext, actor: Actor, input: SourceInput): Promise<BootSourceRow> {
  if (!actor.isAdmin) throw forbidden();
  const url = checkUrl(input.url, true)!;
  if (await bootSourcesRepo.byUrl(ctx.db, url)) throw invalid({ url: ['Boot source with this Url already exists.'] });
  return bootSourcesRepo.insert(ctx.db, { url, keyring_filename: input.keyring_filename?.trim() ?? '', keyring_data: input.keyring_data ?? Buffer.alloc(0) });
}

export async function updateSource(ctx: ServiceContext, actor: Actor, rawId: string, input: SourceInput): Promise<BootSourceRow> {
  if (!actor.isAdmin) throw forbidden();
  const s = await getSource(ctx, rawId);
  const url = checkUrl(input.url, false) ?? s.url;
  const other = url !== s.url ? await bootSourcesRepo.byUrl(ctx.db, url) : undefined;
  if (other) throw invalid({ url: ['Boot source with this Url already exists.'] });
  return bootSourcesRepo.update(ctx.db, s.id, {
    url, keyring_filename: input.keyring_filename?.trim() ?? s.keyring_filename, keyring_data: input.keyring_data ?? Buffer.from(s.keyring_data),
  });
}

export async function deleteSource(ctx: ServiceContext, actor: Actor, rawId: string): Promise<void> {
  if (!actor.isAdmin) throw forbidden();
  await bootSourcesRepo.delete(ctx.db, (await getSource(ctx, rawId)).id);
}
