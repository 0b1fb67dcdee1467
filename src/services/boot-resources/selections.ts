/**
 * Boot source selections (admin): which products of a source are imported — `os` and `release`,
 * and lists of `arches`, `subarches` and `labels` where `*` means all (the default). A source with no
 * selections imports everything its mirror has (MAAS imports nothing then; a local mirror usually
 * holds exactly what is wanted).
 */
import { forbidden, invalid, noMatch } from '../../domain/errors.ts';
import { bootSourcesRepo, type SelectionRow } from '../../store/repos/boot-resources.ts';
import type { Actor, ServiceContext } from '../context.ts';
import { NAME_PART } from './layout.ts';
import { getSource } from './sources.ts';

export interface SelectionInput { os?: string; release?: string; arches?: string[]; subarches?: string[]; labels?: string[] }

const ITEM = /^(\*|[a-z0-9][a-z0-9._+-]{0,63})$/i;

function list(field: string, v: string[] | undefined, errors: Record<string, string[]>): string[] | undefined {
  if (v === undefined || !v.length) return undefined;
  const items = v.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  if (!items.length || items.some((x) => !ITEM.test(x))) errors[field] = [`Enter names (letters, digits, '.', '_', '+', '-') or '*'.`];
  return items;
}

function check(input: SelectionInput, base: Partial<SelectionRow>): Omit<SelectionRow, 'id' | 'boot_source_id'> {
  const errors: Record<string, string[]> = {};
  const os = input.os?.trim() || base.os;
  const release = input.release?.trim() || base.release;
  if (!os) errors.os = ['This field is required.'];
  else if (!NAME_PART.test(os)) errors.os = [`'${os}' is not a valid operating system name.`];
  if (!release) errors.release = ['This field is required.'];
  else if (!NAME_PART.test(release)) errors.release = [`'${release}' is not a valid release name.`];
  const arches = list('arches', input.arches, errors) ?? base.arches ?? ['*'];
  const subarches = list('subarches', input.subarches, errors) ?? base.subarches ?? ['*'];
  const labels = list('labels', input.labels, errors) ?? base.labels ?? ['*'];
  if (Object.keys(errors).length) throw invalid(errors);
  return { os: os!, release: release!, arches, subarches, labels };
}

export async function listSelections(ctx: ServiceContext, rawSourceId: string): Promise<SelectionRow[]> {
  return bootSourcesRepo.selections(ctx.db, (await getSource(ctx, rawSourceId)).id);
}

export async function getSelection(ctx: ServiceContext, rawSourceId: string, rawId: string): Promise<SelectionRow> {
  const source = await getSource(ctx, rawSourceId);
  const id = Number(rawId);
  const s = Number.isSafeInteger(id) && id > 0 && id < 2 ** 31 ? await bootSourcesRepo.selection(ctx.db, source.id, id) : undefined;
  if (!s) throw noMatch('BootSourceSelection');
  return s;
}

const duplicate = () => invalid({ __all__: ['Boot source selection with this Boot source, Os and Release already exists.'] });

export async function createSelection(ctx: ServiceContext, actor: Actor, rawSourceId: string, input: SelectionInput): Promise<SelectionRow> {
  if (!actor.isAdmin) throw forbidden();
  const source = await getSource(ctx, rawSourceId);
  const v = check(input, {});
  if (await bootSourcesRepo.selectionByRelease(ctx.db, source.id, v.os, v.release)) throw duplicate();
  return bootSourcesRepo.insertSelection(ctx.db, { ...v, boot_source_id: source.id });
}

export async function updateSelection(ctx: ServiceContext, actor: Actor, rawSourceId: string, rawId: string, input: SelectionInput): Promise<SelectionRow> {
  if (!actor.isAdmin) throw forbidden();
  const s = await getSelection(ctx, rawSourceId, rawId);
  const v = check(input, s);
  const other = await bootSourcesRepo.selectionByRelease(ctx.db, s.boot_source_id, v.os, v.release);
  if (other && other.id !== s.id) throw duplicate();
  return bootSourcesRepo.updateSelection(ctx.db, { ...s, ...v });
}

export async function deleteSelection(ctx: ServiceContext, actor: Actor, rawSourceId: string, rawId: string): Promise<void> {
  if (!actor.isAdmin) throw forbidden();
  const s = await getSelection(ctx, rawSourceId, rawId);
  await bootSourcesRepo.deleteSelection(ctx.db, s.boot_source_id, s.id);
}
