import type { Queryable } from '../db.ts';

export interface TagRow { id: number; name: string; definition: string; comment: string; kernel_opts: string }

export const tagsRepo = {
  list: (q: Queryable) => q.query<TagRow>('select * from tags order by name'),
  byName: async (q: Queryable, name: string) => (await q.query<TagRow>('select * from tags where name = $1', [name]))[0],
  byNames: (q: Queryable, names: string[]) => q.query<TagRow>('select * from tags where name = any($1::text[])', [names]),
  insert: async (q: Queryable, t: Omit<TagRow, 'id'>) =>
    (await q.query<TagRow>('insert into tags (name, definition, comment, kernel_opts) values ($1, $2, $3, $4) returning *',
      [t.name, t.definition, t.comment, t.kernel_opts]))[0],
  update: async (q: Queryable, id: number, t: Omit<TagRow, 'id'>) =>
    (await q.query<TagRow>('update tags set name = $2, definition = $3, comment = $4, kernel_opts = $5 where id = $1 returning *',
      [id, t.name, t.definition, t.comment, t.kernel_opts]))[0],
  delete: (q: Queryable, id: number) => q.query('delete from tags where id = $1', [id]),
  /** Adds the tag to these nodes; returns how many were newly tagged. */
  addNodes: async (q: Queryable, tagId: number, nodeIds: number[]) =>
    (await q.query('insert into node_tags (node_id, tag_id) select unnest($2::int[]), $1 on conflict do nothing returning 1', [tagId, nodeIds])).length,
  removeNodes: async (q: Queryable, tagId: number, nodeIds: number[]) =>
    (await q.query('delete from node_tags where tag_id = $1 and node_id = any($2::int[]) returning 1', [tagId, nodeIds])).length,
};
