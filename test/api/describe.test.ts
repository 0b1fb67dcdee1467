/** describe/: MAAS's shape and content type, derived from the declarations; names the clients bind to. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { HANDLERS } from '../../src/edges/maas/handlers/index.ts';
import { startTestRegion, type TestRegion } from '../helpers/region.ts';

describe('describe/', () => {
  let r: TestRegion;
  before(async () => { r = await startTestRegion('pglite'); });
  after(async () => { await r.close(); });

  test('anonymous, application/json exactly, MAAS shape', async () => {
    // fetch may not set Host; node:http may, as a client behind a proxy would.
    const res = await new Promise<{ status: number; type: string; body: string }>((ok, fail) => {
      get(`${r.base}describe/`, { headers: { Host: 'maas.example:5240' } }, (m) => {
        let body = '';
        m.on('data', (c) => { body += c; });
        m.on('end', () => ok({ status: m.statusCode!, type: String(m.headers['content-type']), body }));
      }).on('error', fail);
    });
    assert.equal(res.status, 200);
    assert.equal(res.type, 'application/json');
    const d: any = JSON.parse(res.body);
    assert.deepEqual(Object.keys(d), ['doc', 'handlers', 'hash', 'resources']);
    assert.equal(d.doc, 'MAAS API');
    const names = d.resources.map((x: { name: string }) => x.name);
    assert.deepEqual(names, [...names].sort(), 'resources sorted by name');
    const machines = d.resources.find((x: { name: string }) => x.name === 'MachinesHandler');
    assert.equal(machines.anon.name, 'AnonMachinesHandler');
    assert.equal(machines.auth.path, '/MAAS/api/2.0/machines/');
    assert.equal(machines.auth.uri, 'http://maas.example:5240/MAAS/api/2.0/machines/');
    const version = d.resources.find((x: { name: string }) => x.name === 'VersionHandler');
    assert.equal(version.auth, null);
    assert.equal(version.anon.name, 'VersionHandler');
    const machine = d.resources.find((x: { name: string }) => x.name === 'MachineHandler').auth;
    assert.deepEqual(machine.params, ['system_id']);
    const actionNames = machine.actions.map((a: { name: string }) => a.name);
    assert.deepEqual(actionNames, [...actionNames].sort());
    const update = machine.actions.find((a: { name: string }) => a.name === 'update');
    assert.deepEqual({ method: update.method, op: update.op, restful: update.restful }, { method: 'PUT', op: null, restful: true });
    assert.match(update.doc, /:param hostname: Optional\./);
    const deleteTok = d.resources.find((x: { name: string }) => x.name === 'AccountHandler').auth.actions.find((a: { name: string }) => a.name === 'delete_authorisation_token');
    assert.deepEqual({ method: deleteTok.method, op: deleteTok.op, restful: deleteTok.restful }, { method: 'POST', op: 'delete_authorisation_token', restful: false });
    assert.match(deleteTok.doc, /:param token_key: Required\./);
    assert.equal(d.handlers.length, d.resources.reduce((n: number, x: { anon: unknown; auth: unknown }) => n + (x.anon ? 1 : 0) + (x.auth ? 1 : 0), 0));
  });

  test('every declared handler and action appears, and only those', async () => {
    const d: any = await (await fetch(`${r.base}describe/`)).json();
    for (const h of HANDLERS) {
      const res = d.resources.find((x: { name: string }) => x.name === h.name);
      assert.ok(res, h.name);
      const described = (h.anonOnly ? res.anon : res.auth).actions.map((a: { name: string }) => a.name).sort();
      assert.deepEqual(described, h.actions.map((a) => a.name).sort(), h.name);
    }
    assert.equal(d.resources.length, HANDLERS.length);
  });
});
