/**
 * `scripts/` (CLI `node-scripts`): custom scripts created from multipart uploads with embedded metadata,
 * listed beside the built-in ones, read, downloaded by revision, reverted, tagged and deleted; MAAS's
 * refusals (built-in scripts, bad input, non-admins). On both stores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Field } from '../../src/cli/client/request.ts';
import { BACKENDS } from '../helpers/backends.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';
import { SMART_SCRIPT } from './fixtures.ts';

const file = (name: string, text: string): Field => ({ name, value: Buffer.from(text), filename: `${name}.sh` });

for (const kind of BACKENDS) {
  describe(`scripts API (${kind})`, () => {
    let r: TestRegion;
    before(async () => { r = await startTestRegion(kind); });
    after(async () => { await r?.close(); });

    test('create from a multipart upload: embedded metadata, form fields override it', async () => {
      const res = await r.api('POST', 'scripts/', [file('script', SMART_SCRIPT), { name: 'title', value: 'Disk health (site)' }, { name: 'comment', value: 'first' }]);
      assert.equal(res.status, 200, res.text);
      const s = res.json();
      assert.equal(s.name, 'disk-health');
      assert.equal(s.title, 'Disk health (site)', 'the form wins over the embedded title');
      assert.equal(s.description, 'Checks the disks.');
      assert.deepEqual([s.type, s.type_name], [2, 'Testing script']);
      assert.deepEqual([s.hardware_type, s.hardware_type_name], [3, 'Storage']);
      assert.deepEqual([s.parallel, s.parallel_name], [1, 'Run along other instances of this script']);
      assert.equal(s.timeout, '0:10:00');
      assert.deepEqual(s.tags.sort(), ['disks', 'quick', 'storage'], 'the hardware type becomes a tag, as in MAAS');
      assert.deepEqual(s.packages, { apt: ['smartmontools'] });
      assert.deepEqual(s.parameters, { storage: { type: 'storage', argument_format: '{path}' } });
      assert.deepEqual(s.for_hardware, ['pci:8086:1234']);
      assert.equal(s.default, false);
      assert.equal(s.destructive, false);
      assert.ok(s.id >= 1001);
      assert.equal(s.resource_uri, '/MAAS/api/2.0/scripts/disk-health');
      assert.equal(s.history.length, 1);
      assert.equal(s.history[0].comment, 'first');
      assert.match(s.history[0].created, /^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} -0000$/);
      assert.equal(s.history[0].data, undefined);

      // Text fields only (no file part): the script as a plain value; a name taken is refused.
      const plain = await r.api('POST', 'scripts/', [['name', 'hello'], ['type', 'commissioning'], ['timeout', '90'], ['destructive', 'true'], ['script', '#!/bin/sh\necho hello\r\n']]);
      assert.equal(plain.status, 200, plain.text);
      assert.deepEqual([plain.json().type, plain.json().timeout, plain.json().destructive], [0, '0:01:30', true]);
      assert.ok(plain.json().tags.includes('destructive'));
      const dup = await r.api('POST', 'scripts/', [['name', 'hello'], ['script', '#!/bin/sh\n']]);
      assert.equal(dup.status, 400);
      assert.deepEqual(dup.json(), { name: ['Script with this Name already exists.'] });
      const builtinName = await r.api('POST', 'scripts/', [['name', 'fio'], ['script', '#!/bin/sh\n']]);
      assert.deepEqual(builtinName.json(), { name: ['Script with this Name already exists.'] });
      // A lone file part names the script (MAAS's shortcut).
      const lone = await r.api('POST', 'scripts/', [file('lone-one', '#!/bin/sh\ntrue\n')]);
      assert.equal(lone.status, 200, lone.text);
      assert.equal(lone.json().name, 'lone-one');
    });

    test('list with the built-in scripts; filters; read by name or id; include_script', async () => {
      const all = (await r.api('GET', 'scripts/')).json();
      const fio = all.find((s: any) => s.name === 'fio');
      assert.equal(fio.default, true);
      assert.ok(fio.id < 1001);
      assert.ok(all.some((s: any) => s.name === 'disk-health' && s.default === false));
      const testing = (await r.api('GET', 'scripts/?type=testing')).json();
      assert.ok(testing.every((s: any) => s.type === 2));
      assert.ok(testing.some((s: any) => s.name === 'disk-health'));
      const commissioning = (await r.api('GET', 'scripts/?type=commissioning')).json().map((s: any) => s.name);
      assert.ok(commissioning.includes('00-plinth-facts') && commissioning.includes('hello') && !commissioning.includes('fio'));
      const storage = (await r.api('GET', 'scripts/?hardware_type=storage')).json();
      assert.ok(storage.length >= 3 && storage.every((s: any) => s.hardware_type === 3));
      const byTag = (await r.api('GET', 'scripts/?filters=quick,hello')).json().map((s: any) => s.name).sort();
      assert.deepEqual(byTag, ['disk-health', 'hello']);
      const bad = await r.api('GET', 'scripts/?type=sometimes');
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json(), { type: ['Script type must be testing or commissioning'] });

      const one = (await r.api('GET', 'scripts/disk-health')).json();
      const byId = await r.api('GET', `scripts/${one.id}`);
      assert.equal(byId.json().name, 'disk-health');
      assert.equal((await r.api('GET', 'scripts/disk-health/')).json().id, one.id, 'the trailing-slash form works too');
      assert.equal((await r.api('GET', `scripts/${fio.id}`)).json().name, 'fio');
      const full = (await r.api('GET', 'scripts/disk-health?include_script=true')).json();
      assert.equal(Buffer.from(full.history[0].data, 'base64').toString(), SMART_SCRIPT);
      const missing = await r.api('GET', 'scripts/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.text, 'No Script matches the given query.');
    });

    test('update makes a new version; download by revision; revert by id and by steps back', async () => {
      const v2 = SMART_SCRIPT.replace('echo checking', 'echo v2 checking');
      const up = await r.api('PUT', 'scripts/disk-health', [file('script', v2), { name: 'comment', value: 'second' }, { name: 'timeout', value: '0:20:00' }]);
      assert.equal(up.status, 200, up.text);
      const s = up.json();
      assert.equal(s.history.length, 2);
      assert.deepEqual(s.history.map((h: any) => h.comment), ['second', 'first'], 'newest first');
      assert.equal(s.timeout, '0:20:00');
      assert.equal(s.title, 'Disk health', 'the new text\'s embedded title applies (MAAS), the stored one is replaced');
      assert.deepEqual(s.tags.sort(), ['disks', 'quick', 'storage'], 'tags are not taken from new embedded metadata');
      const same = (await r.api('PUT', 'scripts/disk-health', [file('script', v2)])).json();
      assert.equal(same.history.length, 2, 'the same text again makes no version');
      const meta = (await r.api('PUT', 'scripts/disk-health', [['description', 'Only the description']])).json();
      assert.equal(meta.description, 'Only the description');
      assert.equal(meta.timeout, '0:20:00', 'fields not sent keep their values');
      assert.equal(meta.history.length, 2);

      const current = await r.api('GET', 'scripts/disk-health?op=download');
      assert.equal(current.status, 200);
      assert.equal(current.contentType, 'application/binary');
      assert.equal(current.text, v2);
      const oldId = s.history[1].id;
      assert.equal((await r.api('GET', `scripts/disk-health?op=download&revision=${oldId}`)).text, SMART_SCRIPT);
      assert.equal((await r.api('GET', `scripts/disk-health?op=download&rev=${oldId}`)).text, SMART_SCRIPT);
      const notThere = await r.api('GET', 'scripts/disk-health?op=download&revision=999999');
      assert.equal(notThere.status, 400);
      assert.equal(notThere.text, '999999 not found in history');

      const tooFar = await r.api('POST', 'scripts/disk-health?op=revert', [['to', '-2']]);
      assert.equal(tooFar.status, 400);
      assert.equal(tooFar.text, 'Goes too far back.');
      const back = await r.api('POST', 'scripts/disk-health?op=revert', [['to', '-1']]);
      assert.equal(back.status, 200, back.text);
      assert.deepEqual(back.json().history.map((h: any) => h.id), [oldId]);
      assert.equal((await r.api('GET', 'scripts/disk-health?op=download')).text, SMART_SCRIPT);
      // By id: a third version, then back to the first.
      await r.api('PUT', 'scripts/disk-health', [file('script', `${SMART_SCRIPT}# v3\n`)]);
      const byId = await r.api('POST', 'scripts/disk-health?op=revert', [['to', String(oldId)]]);
      assert.deepEqual(byId.json().history.map((h: any) => h.id), [oldId]);
      assert.equal((await r.api('POST', 'scripts/disk-health?op=revert', [['to', '12345']])).text, '12345 not found in history');
      assert.equal((await r.api('POST', 'scripts/disk-health?op=revert', [])).status, 400, 'to is required');
    });

    test('tags: add, remove; the hardware-type tag stays', async () => {
      const added = await r.api('POST', 'scripts/disk-health?op=add_tag', [['tag', 'nightly']]);
      assert.equal(added.status, 200, added.text);
      assert.ok(added.json().tags.includes('nightly'));
      const comma = await r.api('POST', 'scripts/disk-health?op=add_tag', [['tag', 'a,b']]);
      assert.equal(comma.status, 400);
      assert.equal(comma.text, 'Tag may not contain a ",".');
      const removed = (await r.api('POST', 'scripts/disk-health?op=remove_tag', [['tag', 'nightly']])).json();
      assert.ok(!removed.tags.includes('nightly'));
      const kept = (await r.api('POST', 'scripts/disk-health?op=remove_tag', [['tag', 'storage']])).json();
      assert.ok(kept.tags.includes('storage'));
    });

    test('built-in scripts are read-only; delete refuses them with MAAS text', async () => {
      const del = await r.api('DELETE', 'scripts/fio');
      assert.equal(del.status, 400);
      assert.equal(del.text, 'Unable to delete default script');
      const rev = await r.api('POST', 'scripts/fio?op=revert', [['to', '-1']]);
      assert.equal(rev.text, 'Unable to revert default script');
      const put = await r.api('PUT', 'scripts/fio', [['title', 'x']]);
      assert.equal(put.status, 400);
      assert.match(put.text, /^Not allowed to change on default scripts/);
      assert.equal((await r.api('POST', 'scripts/fio?op=add_tag', [['tag', 'x']])).status, 400);
      const dl = await r.api('GET', 'scripts/wipe-disks?op=download');
      assert.match(dl.text, /^#!\/bin\/sh/);
    });

    test('bad input is a 400 naming the field, never a 500', async () => {
      const cases: Array<[Array<[string, string]>, string, RegExp]> = [
        [[['name', 'x1'], ['script', '#!/bin/sh\n'], ['timeout', 'soon']], 'timeout', /Enter a valid duration/],
        [[['name', 'x2'], ['script', '#!/bin/sh\n'], ['type', 'sometimes']], 'script_type', /testing or commissioning/],
        [[['name', 'x3'], ['script', '#!/bin/sh\n'], ['type', '7']], 'script_type', /Invalid script type numeric value/],
        [[['name', 'x4'], ['script', '#!/bin/sh\n'], ['hardware_type', 'toaster']], 'hardware_type', /Hardware type must be/],
        [[['name', 'x5'], ['script', '#!/bin/sh\n'], ['parallel', 'maybe']], 'parallel', /Script parallel must be/],
        [[['name', 'x6'], ['script', 'echo no shebang\n']], 'script', /Must start with shebang/],
        [[['name', 'x 7'], ['script', '#!/bin/sh\n']], 'name', /disallowed characters/],
        [[['name', '123'], ['script', '#!/bin/sh\n']], 'name', /Cannot be a number/],
        [[['name', 'None'], ['script', '#!/bin/sh\n']], 'name', /reserved name/],
        [[['name', 'x8']], 'script', /required/],
        [[['script', '#!/bin/sh\n']], 'name', /required/],
        [[['name', 'x9'], ['script', '#!/bin/sh\n'], ['for_hardware', 'toaster:1']], 'for_hardware', /must be a modalias/],
        [[['name', 'x10'], ['script', '#!/bin/sh\n'], ['packages', '{"apt": [1]}']], 'packages', /apt package must be a string/],
        [[['name', 'x11'], ['script', '#!/bin/sh\n# --- Start MAAS 1.0 script metadata ---\n# tags: [a, b\n# --- End MAAS 1.0 script metadata ---\n']], 'script', /Invalid YAML: line 1/],
        [[['name', 'x12'], ['script', '#!/bin/sh\n# --- Start MAAS 1.0 script metadata ---\nname: x\n# --- End MAAS 1.0 script metadata ---\n']], 'script', /Missing "#"/],
        [[['name', 'x13'], ['script', '#!/bin/sh\n# --- Start MAAS 1.0 script metadata ---\n# parameters: {p: {type: lasers}}\n# --- End MAAS 1.0 script metadata ---\n']], 'parameters', /type must be one of/],
        [[['name', 'x14'], ['comment', 'why']], 'comment', /may only be used when specifying a "script"/],
        [[['name', 'x15'], ['script', '#!/bin/sh\n'], ['destructive', 'perhaps']], 'destructive', /valid boolean/],
      ];
      for (const [fields, key, message] of cases) {
        const res = await r.api('POST', 'scripts/', fields);
        assert.equal(res.status, 400, `${JSON.stringify(fields)}: ${res.status} ${res.text}`);
        const body = res.json();
        assert.ok(body[key]?.some((m: string) => message.test(m)), `${JSON.stringify(fields)} → ${res.text}`);
      }
      const badUtf8 = await r.api('POST', 'scripts/', [{ name: 'name', value: 'x16' }, { name: 'script', value: Buffer.from([0x23, 0x21, 0xff, 0xfe]), filename: 's' }]);
      assert.equal(badUtf8.status, 400);
      assert.equal((await r.api('PUT', 'scripts/hello', [['timeout', '-1']])).status, 400);
      assert.equal((await r.api('GET', 'scripts/?hardware_type=9')).status, 400);
      const names = (await r.api('GET', 'scripts/')).json().map((s: any) => s.name);
      assert.ok(!names.some((n: string) => /^x\d/.test(n)), 'nothing was stored');
    });

    test('non-admins may read but not change; delete removes a custom script', async () => {
      assert.equal((await r.api('GET', 'scripts/', [], r.userKey)).status, 200);
      assert.equal((await r.api('GET', 'scripts/hello', [], r.userKey)).status, 200);
      for (const [method, path, fields] of [
        ['POST', 'scripts/', [['name', 'u1'], ['script', '#!/bin/sh\n']]], ['PUT', 'scripts/hello', [['title', 't']]], ['DELETE', 'scripts/hello', []],
        ['POST', 'scripts/hello?op=add_tag', [['tag', 't']]], ['POST', 'scripts/hello?op=revert', [['to', '0']]],
      ] as Array<[string, string, Array<[string, string]>]>) {
        const res = await r.api(method, path, fields, r.userKey);
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.equal(res.text, 'This method is reserved for admin users.');
      }
      assert.equal((await r.api('DELETE', 'scripts/hello')).status, 204);
      assert.equal((await r.api('GET', 'scripts/hello')).status, 404);
      const [ev] = await r.svc.db.query<{ description: string }>("select description from events where description = 'Deleted script ''hello''.'");
      assert.ok(ev, 'an audit event');
    });
  });
}
