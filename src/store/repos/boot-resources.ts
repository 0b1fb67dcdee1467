/** Boot resources, their sets and files; boot sources and selections; the import job row (migration 012). */
import type { Queryable } from '../db.ts';

export type ResourceType = 'Synced' | 'Uploaded' | 'Generated';
export type FileType = 'root-tgz' | 'root-dd' | 'root-dd.gz' | 'squashfs' | 'boot-kernel' | 'boot-initrd';

export interface BootResourceRow {
  id: number; rtype: ResourceType; name: string; architecture: string; base_image: string; title: string;
  extra: Record<string, unknown>; created: Date; updated: Date;
}
export interface BootSetRow { id: number; resource_id: number; version: string; label: string; created: Date; updated: Date }
export interface BootFileRow {
  id: number; set_id: number; filename: string; filetype: FileType; sha256: string; size: number; path: string;
  complete: boolean; progress: number; source: string | null;
}
export interface BootSourceRow { id: number; url: string; keyring_filename: string; keyring_data: Buffer; created: Date; updated: Date }
export interface SelectionRow { id: number; boot_source_id: number; os: string; release: string; arches: string[]; subarches: string[]; labels: string[] }
export interface ImportRow { state: 'idle' | 'running' | 'stopping'; owner: string | null; heartbeat: Date | null; started: Date | null; finished: Date | null; message: string }

export interface NewResource { rtype: ResourceType; name: string; architecture: string; base_image?: string; title?: string; extra?: Record<string, unknown> }
export interface NewFile { filename: string; filetype: FileType; sha256: string; size: number; path: string; complete: boolean; progress: number; source?: string | null }

export const bootResourcesRepo = {
  list: (q: Queryable, rtype?: ResourceType) => rtype
    ? q.query<BootResourceRow>('select * from boot_resources where rtype = $1 order by name, architecture', [rtype])
    : q.query<BootResourceRow>('select * from boot_resources order by rtype, name, architecture'),
  byId: async (q: Queryable, id: number) => (await q.query<BootResourceRow>('select * from boot_resources where id = $1', [id]))[0],
  byName: async (q: Queryable, name: string, architecture: string) =>
    (await q.query<BootResourceRow>('select * from boot_resources where name = $1 and architecture = $2', [name, architecture]))[0],
  /** Locks the row (or nothing) for the rest of the transaction. */
  lockByName: async (q: Queryable, name: string, architecture: string) =>
    (await q.query<BootResourceRow>('select * from boot_resources where name = $1 and architecture = $2 for update', [name, architecture]))[0],
  insert: async (q: Queryable, r: NewResource) =>
    (await q.query<BootResourceRow>(
      'insert into boot_resources (rtype, name, architecture, base_image, title, extra) values ($1, $2, $3, $4, $5, $6) returning *',
      [r.rtype, r.name, r.architecture, r.base_image ?? '', r.title ?? '', JSON.stringify(r.extra ?? {})]))[0],
  update: (q: Queryable, id: number, r: Omit<NewResource, 'name' | 'architecture'>) =>
    q.query('update boot_resources set rtype = $2, base_image = $3, title = $4, extra = $5, updated = now() where id = $1',
      [id, r.rtype, r.base_image ?? '', r.title ?? '', JSON.stringify(r.extra ?? {})]),
  touch: (q: Queryable, id: number) => q.query('update boot_resources set updated = now() where id = $1', [id]),
  delete: (q: Queryable, id: number) => q.query('delete from boot_resources where id = $1', [id]),

  sets: (q: Queryable, resourceIds: number[]) =>
    q.query<BootSetRow>('select * from boot_resource_sets where resource_id = any($1::int[]) order by id desc', [resourceIds]),
  setByVersion: async (q: Queryable, resourceId: number, version: string) =>
    (await q.query<BootSetRow>('select * from boot_resource_sets where resource_id = $1 and version = $2', [resourceId, version]))[0],
  insertSet: async (q: Queryable, resourceId: number, version: string, label: string) =>
    (await q.query<BootSetRow>('insert into boot_resource_sets (resource_id, version, label) values ($1, $2, $3) returning *', [resourceId, version, label]))[0],
  deleteSetsExcept: (q: Queryable, resourceId: number, keepSetId: number) =>
    q.query<BootSetRow>('delete from boot_resource_sets where resource_id = $1 and id <> $2 returning *', [resourceId, keepSetId]),

  files: (q: Queryable, setIds: number[]) =>
    q.query<BootFileRow>('select * from boot_resource_files where set_id = any($1::int[]) order by filename', [setIds]),
  fileById: async (q: Queryable, id: number) => (await q.query<BootFileRow>('select * from boot_resource_files where id = $1', [id]))[0],
  /** Inserts or replaces the file of this name in the set. */
  putFile: async (q: Queryable, setId: number, f: NewFile) =>
    (await q.query<BootFileRow>(
      `insert into boot_resource_files (set_id, filename, filetype, sha256, size, path, complete, progress, source)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       on conflict (set_id, filename) do update set filetype = excluded.filetype, sha256 = excluded.sha256, size = excluded.size,
         path = excluded.path, complete = excluded.complete, progress = excluded.progress, source = excluded.source
       returning *`,
      [setId, f.filename, f.filetype, f.sha256, f.size, f.path, f.complete, f.progress, f.source ?? null]))[0],
  setProgress: (q: Queryable, fileId: number, progress: number, complete: boolean) =>
    q.query('update boot_resource_files set progress = $2, complete = $3 where id = $1', [fileId, progress, complete]),

  /** Complete deployable files (root tarball or disk image) of resources with this name, for any architecture. */
  deployable: (q: Queryable, name: string) =>
    q.query<BootFileRow & { architecture: string; resource_id: number }>(
      `select f.*, r.architecture, r.id as resource_id from boot_resources r
         join boot_resource_sets s on s.resource_id = r.id join boot_resource_files f on f.set_id = s.id
        where r.name = $1 and f.complete and f.filetype in ('root-tgz', 'root-dd.gz') order by s.id desc, f.filetype desc`, [name]),
  /** Names (os/series) with a complete deployable file. */
  deployableNames: async (q: Queryable) =>
    (await q.query<{ name: string }>(
      `select distinct r.name from boot_resources r join boot_resource_sets s on s.resource_id = r.id
         join boot_resource_files f on f.set_id = s.id where f.complete and f.filetype in ('root-tgz', 'root-dd.gz') order by r.name`)).map((r) => r.name),
};

export const bootSourcesRepo = {
  list: (q: Queryable) => q.query<BootSourceRow>('select * from boot_sources order by id'),
  byId: async (q: Queryable, id: number) => (await q.query<BootSourceRow>('select * from boot_sources where id = $1', [id]))[0],
  byUrl: async (q: Queryable, url: string) => (await q.query<BootSourceRow>('select * from boot_sources where url = $1', [url]))[0],
  insert: async (q: Queryable, s: { url: string; keyring_filename: string; keyring_data: Buffer }) =>
    (await q.query<BootSourceRow>('insert into boot_sources (url, keyring_filename, keyring_data) values ($1, $2, $3) returning *',
      [s.url, s.keyring_filename, s.keyring_data]))[0],
  update: async (q: Queryable, id: number, s: { url: string; keyring_filename: string; keyring_data: Buffer }) =>
    (await q.query<BootSourceRow>('update boot_sources set url = $2, keyring_filename = $3, keyring_data = $4, updated = now() where id = $1 returning *',
      [id, s.url, s.keyring_filename, s.keyring_data]))[0],
  delete: (q: Queryable, id: number) => q.query('delete from boot_sources where id = $1', [id]),

  selections: (q: Queryable, sourceId: number) =>
    q.query<SelectionRow>('select * from boot_source_selections where boot_source_id = $1 order by id', [sourceId]),
  selection: async (q: Queryable, sourceId: number, id: number) =>
    (await q.query<SelectionRow>('select * from boot_source_selections where boot_source_id = $1 and id = $2', [sourceId, id]))[0],
  selectionByRelease: async (q: Queryable, sourceId: number, os: string, release: string) =>
    (await q.query<SelectionRow>('select * from boot_source_selections where boot_source_id = $1 and os = $2 and release = $3', [sourceId, os, release]))[0],
  insertSelection: async (q: Queryable, s: Omit<SelectionRow, 'id'>) =>
    (await q.query<SelectionRow>(
      'insert into boot_source_selections (boot_source_id, os, release, arches, subarches, labels) values ($1, $2, $3, $4, $5, $6) returning *',
      [s.boot_source_id, s.os, s.release, s.arches, s.subarches, s.labels]))[0],
  updateSelection: async (q: Queryable, s: SelectionRow) =>
    (await q.query<SelectionRow>(
      'update boot_source_selections set os = $3, release = $4, arches = $5, subarches = $6, labels = $7 where boot_source_id = $1 and id = $2 returning *',
      [s.boot_source_id, s.id, s.os, s.release, s.arches, s.subarches, s.labels]))[0],
  deleteSelection: (q: Queryable, sourceId: number, id: number) =>
    q.query('delete from boot_source_selections where boot_source_id = $1 and id = $2', [sourceId, id]),
};

export const bootImportRepo = {
  get: async (q: Queryable) => (await q.query<ImportRow>('select state, owner, heartbeat, started, finished, message from boot_import where id = 1'))[0],
  /** idle → running (a fresh job); returns false when one is already running or stopping. */
  start: async (q: Queryable) =>
    (await q.query("update boot_import set state = 'running', owner = null, heartbeat = null, started = now(), finished = null, message = '' where id = 1 and state = 'idle' returning 1")).length > 0,
  requestStop: async (q: Queryable) =>
    (await q.query("update boot_import set state = 'stopping' where id = 1 and state = 'running' returning 1")).length > 0,
  /** Takes the job's lease when it is free, ours, or stale. */
  claim: async (q: Queryable, owner: string, staleSeconds: number) =>
    (await q.query(
      `update boot_import set owner = $1, heartbeat = now()
        where id = 1 and state <> 'idle' and (owner is null or owner = $1 or heartbeat < now() - make_interval(secs => $2)) returning 1`,
      [owner, staleSeconds])).length > 0,
  /** Renews the lease; returns the state, or null when the lease is no longer ours. */
  heartbeat: async (q: Queryable, owner: string) =>
    (await q.query<{ state: ImportRow['state'] }>('update boot_import set heartbeat = now() where id = 1 and owner = $1 returning state', [owner]))[0]?.state ?? null,
  release: (q: Queryable, owner: string) => q.query('update boot_import set owner = null where id = 1 and owner = $1', [owner]),
  finish: (q: Queryable, owner: string, message: string) =>
    q.query("update boot_import set state = 'idle', owner = null, finished = now(), message = $2 where id = 1 and owner = $1", [owner, message]),
};
