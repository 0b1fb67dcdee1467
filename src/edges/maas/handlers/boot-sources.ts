/** `boot-sources/` and their `selections/` (admin only): where `boot-resources/?op=import` copies images from. */
import { createSelection, deleteSelection, getSelection, listSelections, updateSelection, type SelectionInput } from '../../../services/boot-resources/selections.ts';
import { createSource, deleteSource, getSource, listSources, updateSource, type SourceInput } from '../../../services/boot-resources/sources.ts';
import type { BootSourceRow, SelectionRow } from '../../../store/repos/boot-resources.ts';
import { crud, p, type ActionCtx, type HandlerDecl } from '../declare.ts';
import { jsonReply, noContent } from '../replies.ts';
import { isoTime, uri } from '../render/common.ts';

export const renderSource = (s: BootSourceRow) => ({
  id: s.id, url: s.url, keyring_filename: s.keyring_filename, keyring_data: Buffer.from(s.keyring_data ?? []).toString('base64'),
  created: isoTime(s.created), updated: isoTime(s.updated), resource_uri: uri(`/boot-sources/${s.id}/`),
});

export const renderSelection = (s: SelectionRow) => ({
  id: s.id, boot_source_id: s.boot_source_id, os: s.os, release: s.release, arches: s.arches, subarches: s.subarches, labels: s.labels,
  resource_uri: uri(`/boot-sources/${s.boot_source_id}/selections/${s.id}/`),
});

const sourceParams = (required: boolean) => [
  p.str('url', 'The URL of the boot source: a simplestreams mirror (file:///path, an absolute path on the region host, or http(s)://).', required),
  p.str('keyring_filename', 'The path to the keyring file for this boot source (kept; Plinth checks each file\'s sha256 instead).'),
  p.file('keyring_data', 'The GPG keyring for this boot source (kept; not used for verification).'),
];

const sourceInput = ({ args }: ActionCtx): SourceInput => ({
  url: args.str('url'), keyring_filename: args.str('keyring_filename'), keyring_data: args.file('keyring_data')?.data,
});

const selectionParams = (required: boolean) => [
  p.str('os', 'The OS (e.g. debian, ubuntu, ephemeral) to import.', required),
  p.str('release', 'The release (e.g. bookworm) to import.', required),
  p.list('arches', 'The architecture list to import (* for all).'),
  p.list('subarches', 'The subarchitecture list to import (* for all).'),
  p.list('labels', 'The label list to import (* for all).'),
];

const selectionInput = ({ args }: ActionCtx): SelectionInput => ({
  os: args.str('os'), release: args.str('release'),
  arches: args.has('arches') ? args.list('arches') : undefined,
  subarches: args.has('subarches') ? args.list('subarches') : undefined,
  labels: args.has('labels') ? args.list('labels') : undefined,
});

export const BootSourcesHandler: HandlerDecl = {
  name: 'BootSourcesHandler',
  path: '/boot-sources/',
  doc: 'Manage the collection of boot sources.',
  adminOnly: true,
  actions: [
    crud.read('List boot sources', async ({ svc }) => (await listSources(svc)).map(renderSource)),
    crud.create('Create a boot source', async (ctx) => jsonReply(renderSource(await createSource(ctx.svc, ctx.user, sourceInput(ctx))), 201), sourceParams(true), true),
  ],
};

export const BootSourceHandler: HandlerDecl = {
  name: 'BootSourceHandler',
  path: '/boot-sources/{id}/',
  doc: 'Manage a boot source.',
  adminOnly: true,
  actions: [
    crud.read('Read a boot source', async ({ svc, path }) => renderSource(await getSource(svc, path.id))),
    crud.update('Update a boot source', async (ctx) => renderSource(await updateSource(ctx.svc, ctx.user, ctx.path.id, sourceInput(ctx))), sourceParams(false), true),
    crud.delete('Delete a boot source', async ({ svc, user, path }) => { await deleteSource(svc, user, path.id); return noContent; }, [], true),
  ],
};

export const BootSourceSelectionsHandler: HandlerDecl = {
  name: 'BootSourceSelectionsHandler',
  path: '/boot-sources/{boot_source_id}/selections/',
  doc: 'Manage the collection of boot source selections.',
  adminOnly: true,
  actions: [
    crud.read('List boot source selections', async ({ svc, path }) => (await listSelections(svc, path.boot_source_id)).map(renderSelection)),
    crud.create('Create a boot source selection', async (ctx) =>
      jsonReply(renderSelection(await createSelection(ctx.svc, ctx.user, ctx.path.boot_source_id, selectionInput(ctx))), 201), selectionParams(true), true),
  ],
};

export const BootSourceSelectionHandler: HandlerDecl = {
  name: 'BootSourceSelectionHandler',
  path: '/boot-sources/{boot_source_id}/selections/{id}/',
  doc: 'Manage a boot source selection.',
  adminOnly: true,
  actions: [
    crud.read('Read a boot source selection', async ({ svc, path }) => renderSelection(await getSelection(svc, path.boot_source_id, path.id))),
    crud.update('Update a boot source selection', async (ctx) =>
      renderSelection(await updateSelection(ctx.svc, ctx.user, ctx.path.boot_source_id, ctx.path.id, selectionInput(ctx))), selectionParams(false), true),
    crud.delete('Delete a boot source selection', async ({ svc, user, path }) => {
      await deleteSelection(svc, user, path.boot_source_id, path.id);
      return noContent;
    }, [], true),
  ],
};
