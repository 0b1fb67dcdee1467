/**
 * `boot-resources/`: the images the region knows (Synced from a boot source, Uploaded through this
 * API, Generated from its images directory), with their sets and files; custom image upload; the
 * import from boot sources. Large uploads reach `create` through the streaming route
 * (boot-resources-routes.ts), which spools `content` to disk as it arrives; through the plain router
 * (body limit 64 MiB) the part is written out here.
 */
import { imagesDirOf } from '../../../services/boot-resources/images-dir.ts';
import { isImporting, startImport, stopImport } from '../../../services/boot-resources/import-job.ts';
import { getResource, listResources, type ResourceView } from '../../../services/boot-resources/queries.ts';
import { checkCreateInput, createUploadedResource, type CreateResourceInput } from '../../../services/boot-resources/upload.ts';
import { deleteResource } from '../../../services/boot-resources/delete.ts';
import { spoolStream, type SpooledFile } from '../../../services/boot-resources/spool.ts';
import type { BootResourceRow } from '../../../store/repos/boot-resources.ts';
import { crud, op, p, type ActionCtx, type HandlerDecl } from '../declare.ts';
import { jsonReply, noContent, textReply } from '../replies.ts';
import { uri } from '../render/common.ts';
import type { FilePart } from '../wire/multipart.ts';

/** A file part the streaming route already wrote to disk (its `data` is empty). */
export interface SpooledPart extends FilePart { spooled: SpooledFile }

export function renderResource(r: BootResourceRow) {
  const out: Record<string, unknown> = {
    id: r.id, type: r.rtype, name: r.name, architecture: r.architecture, resource_uri: uri(`/boot-resources/${r.id}/`), last_deployed: null,
  };
  const extra = r.extra ?? {};
  if (typeof extra.subarches === 'string' && extra.subarches) out.subarches = extra.subarches;
  if (r.title) out.title = r.title;
  if (r.base_image) out.base_image = r.base_image;
  return out;
}

const percent = (done: number, total: number) => (total > 0 ? Math.round((done / total) * 10000) / 100 : 0);

export function renderResourceSets(v: ResourceView) {
  const sets: Record<string, unknown> = {};
  for (const { set, files } of v.sets) {
    const size = files.reduce((n, f) => n + f.size, 0);
    const complete = files.length > 0 && files.every((f) => f.complete);
    const rendered: Record<string, unknown> = {};
    for (const f of files) {
      const file: Record<string, unknown> = { filename: f.filename, filetype: f.filetype, sha256: f.sha256, filename_on_disk: f.path, size: f.size, complete: f.complete };
      if (!f.complete) {
        file.progress = percent(f.progress, f.size);
        if (v.resource.rtype === 'Uploaded') file.upload_uri = uri(`/boot-resources/${v.resource.id}/upload/${f.id}/`);
      }
      rendered[f.filename] = file;
    }
    sets[set.version] = {
      version: set.version, label: set.label, size, complete,
      ...(complete ? {} : { progress: percent(files.reduce((n, f) => n + (f.complete ? f.size : f.progress), 0), size) }),
      files: rendered,
    };
  }
  return { ...renderResource(v.resource), sets };
}

const createParams = [
  p.str('name', 'Name of the boot resource: <name> (stored as custom/<name>) or <os>/<series>.', true),
  p.str('architecture', 'Architecture the boot resource supports, e.g. amd64/generic.', true),
  p.str('sha256', 'The sha256 hash of the resource (checked against the content; required when the content is uploaded in chunks).'),
  p.int('size', 'The size of the resource in bytes (checked; required when the content is uploaded in chunks).'),
  p.str('title', 'Title for the boot resource.'),
  p.str('filetype', 'Filetype for uploaded content: tgz (default), ddtgz, ddgz or squashfs.'),
  p.str('base_image', 'The base OS image a custom image is built on top of.'),
  p.file('content', 'Image content. Without it, the file is uploaded in chunks to its upload_uri.'),
];

/** `create`, shared by the plain router and the streaming route (which hands a SpooledPart). */
export async function createAction({ svc, user, args }: ActionCtx) {
  const input: CreateResourceInput = {
    name: args.str('name'), architecture: args.str('architecture'), sha256: args.str('sha256'), size: args.int('size'),
    title: args.str('title'), filetype: args.str('filetype'), base_image: args.str('base_image'),
  };
  const part = args.file('content');
  let content: SpooledFile | null = null;
  if (part && 'spooled' in part) content = (part as SpooledPart).spooled;
  else if (part) {
    checkCreateInput(input, true);
    content = await spoolStream(imagesDirOf(svc), [part.data]);
  }
  const r = await createUploadedResource(svc, user, input, content);
  return jsonReply(renderResourceSets(await getResource(svc, r.id)), 201);
}

export const BootResourcesHandler: HandlerDecl = {
  name: 'BootResourcesHandler',
  path: '/boot-resources/',
  doc: 'Manage the boot resources.',
  actions: [
    crud.read('List boot resources', async ({ svc, args }) => (await listResources(svc, args.str('type'))).map(renderResource),
      [p.str('type', 'Type of boot resources to list: synced, generated or uploaded (default: all).')]),
    crud.create('Create a new boot resource', createAction, createParams, true),
    op('POST', 'import', 'Import the boot resources from the boot sources.', async ({ svc, user }) => {
      await startImport(svc, user);
      return textReply(200, 'Import of boot resources started');
    }, [], true),
    op('GET', 'is_importing', 'Get the status of importing resources.', async ({ svc }) => jsonReply(await isImporting(svc))),
    op('POST', 'stop_import', 'Stop importing the boot resources.', async ({ svc, user }) => {
      await stopImport(svc, user);
      return textReply(200, 'Import of boot resources is being stopped');
    }, [], true),
  ],
};

export const BootResourceHandler: HandlerDecl = {
  name: 'BootResourceHandler',
  path: '/boot-resources/{id}/',
  doc: 'Manage a boot resource.',
  actions: [
    crud.read('Read a boot resource', async ({ svc, path }) => renderResourceSets(await getResource(svc, path.id))),
    crud.delete('Delete a boot resource', async ({ svc, user, path }) => {
      await deleteResource(svc, user, path.id);
      return noContent;
    }, [], true),
  ],
};
