import { createTag, deleteTag, getTag, listTags, taggedMachines, updateTag, updateTagNodes } from '../../../services/tags.ts';
import { crud, op, p, type HandlerDecl } from '../declare.ts';
import { noContent } from '../replies.ts';
import { renderTag } from '../render/common.ts';
import { renderMachine } from '../render/machine.ts';

const tagParams = (required: boolean) => [
  p.str('name', 'The new tag name. Because the name will be used in urls, it should be short.', required),
  p.str('comment', 'A description of what the the tag will be used for in natural language.'),
  p.str('definition', 'An XPATH query that is evaluated against the hardware_details stored for all nodes (output of `lshw -xml`).'),
  p.str('kernel_opts', 'Nodes associated with this tag will add this string to their kernel options when booting.'),
];

export const TagsHandler: HandlerDecl = {
  name: 'TagsHandler',
  path: '/tags/',
  doc: 'Manage all tags known to MAAS.',
  actions: [
    crud.read('List tags', async ({ svc }) => (await listTags(svc)).map(renderTag)),
    crud.create('Create a new tag', async ({ svc, user, args }) => renderTag(await createTag(svc, user, {
      name: args.str('name'), comment: args.str('comment'), definition: args.str('definition'), kernel_opts: args.str('kernel_opts'),
    })), tagParams(true), true),
  ],
};

const machinesOf = op('GET', 'machines', 'List machines by tag', async ({ svc, path }) =>
  (await taggedMachines(svc, await getTag(svc, path.name))).map((m) => renderMachine(m)));

export const TagHandler: HandlerDecl = {
  name: 'TagHandler',
  path: '/tags/{name}/',
  doc: 'Tags are properties that can be associated with a Node and serve as criteria for selecting and allocating nodes.',
  actions: [
    crud.read('Read a specific tag', async ({ svc, path }) => renderTag(await getTag(svc, path.name))),
    crud.update('Update a tag', async ({ svc, user, path, args }) => renderTag(await updateTag(svc, user, await getTag(svc, path.name), {
      name: args.str('name'), comment: args.str('comment'), definition: args.str('definition'), kernel_opts: args.str('kernel_opts'),
    })), tagParams(false), true),
    crud.delete('Delete a tag', async ({ svc, user, path }) => { await deleteTag(svc, user, await getTag(svc, path.name)); return noContent; }, [], true),
    machinesOf,
    { ...machinesOf, name: 'nodes', op: 'nodes', doc: 'List nodes by tag' },
    op('POST', 'update_nodes', 'Update nodes associated with this tag', async ({ svc, user, path, args }) =>
      updateTagNodes(svc, user, await getTag(svc, path.name), args.list('add'), args.list('remove'), args.str('definition')), [
      p.list('add', 'The system_id to tag.'),
      p.list('remove', 'The system_id to untag.'),
      p.str('definition', 'If given, the definition (XPATH expression) will be validated against the current definition of the tag. If the value does not match, MAAS assumes the worker is out of date and will drop the update.'),
      p.str('rack_controller', 'The system ID of the rack controller that processed the given tag initially.'),
    ], true),
  ],
};
