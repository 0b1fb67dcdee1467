/** Tags: manual tags attached with update_nodes; defined tags are evaluated by services/tag-evaluation. */
import { forbidden, invalid, noMatch } from '../domain/errors.ts';
import { loadMachines } from '../store/repos/machines.ts';
import { tagsRepo, type TagRow } from '../store/repos/tags.ts';
import type { Actor, ServiceContext } from './context.ts';
import { checkTagDefinition, checkTagNodesUpdate } from './tag-evaluation/rules.ts';

const NAME = /^[\w-]{1,256}$/;

export const listTags = (ctx: ServiceContext) => tagsRepo.list(ctx.db);

export async function getTag(ctx: ServiceContext, name: string): Promise<TagRow> {
  const t = await tagsRepo.byName(ctx.db, name);
  if (!t) throw noMatch('Tag');
  return t;
}

// A definition is an XPath 1.0 expression over commissioning details; the tag evaluator owns its rules.
const checkDefinition = checkTagDefinition;

export interface TagInput { name?: string; definition?: string; comment?: string; kernel_opts?: string }

export async function createTag(ctx: ServiceContext, actor: Actor, t: TagInput) {
  if (!actor.isAdmin) throw forbidden();
  if (!t.name) throw invalid({ name: ['This field is required.'] });
  if (!NAME.test(t.name)) throw invalid({ name: ['Tag name must contain only letters, digits, underscores and hyphens.'] });
  checkDefinition(t.definition ?? '');
  if (await tagsRepo.byName(ctx.db, t.name)) throw invalid({ name: ['Tag with this Name already exists.'] });
  return tagsRepo.insert(ctx.db, { name: t.name, definition: t.definition ?? '', comment: t.comment ?? '', kernel_opts: t.kernel_opts ?? '' });
}

export async function updateTag(ctx: ServiceContext, actor: Actor, tag: TagRow, patch: TagInput) {
  if (!actor.isAdmin) throw forbidden();
  const next = { name: patch.name ?? tag.name, definition: patch.definition ?? tag.definition, comment: patch.comment ?? tag.comment, kernel_opts: patch.kernel_opts ?? tag.kernel_opts };
  if (!NAME.test(next.name)) throw invalid({ name: ['Tag name must contain only letters, digits, underscores and hyphens.'] });
  checkDefinition(next.definition);
  if (next.name !== tag.name && (await tagsRepo.byName(ctx.db, next.name))) throw invalid({ name: ['Tag with this Name already exists.'] });
  return tagsRepo.update(ctx.db, tag.id, next);
}

export async function deleteTag(ctx: ServiceContext, actor: Actor, tag: TagRow) {
  if (!actor.isAdmin) throw forbidden();
  await tagsRepo.delete(ctx.db, tag.id);
}

/** `update_nodes`: add and remove machines by system_id; returns MAAS's counts. */
export async function updateTagNodes(ctx: ServiceContext, actor: Actor, tag: TagRow, add: string[], remove: string[], definition?: string) {
  if (!actor.isAdmin) throw forbidden();
  checkTagNodesUpdate(tag, definition);
  return ctx.db.tx(async (q) => {
    const resolve = async (ids: string[]) => {
      if (!ids.length) return [];
      const rows = await q.query<{ id: number; system_id: string }>('select id, system_id from nodes where system_id = any($1::text[])', [ids]);
      const unknown = ids.filter((s) => !rows.some((r) => r.system_id === s));
      if (unknown.length) throw invalid({ add: [`Unknown node(s): ${unknown.join(', ')}.`] });
      return rows.map((r) => r.id);
    };
    const added = await tagsRepo.addNodes(q, tag.id, await resolve(add));
    const removed = await tagsRepo.removeNodes(q, tag.id, await resolve(remove));
    return { added, removed };
  });
}

export async function taggedMachines(ctx: ServiceContext, tag: TagRow) {
  return loadMachines(ctx.db, { where: ['n.node_type = 0', 'n.id in (select node_id from node_tags where tag_id = $1)'], params: [tag.id] });
}
