/**
 * Test support for boot resources: a region started as region.ts starts it (the boot-resources hook
 * attached before listen, so the streaming upload routes are there), and a tiny simplestreams mirror
 * written into a temporary directory (test data in the format sstream-mirror writes, not a double).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildRegionServer } from '../../src/edges/http/region-server.ts';
import { HANDLERS } from '../../src/edges/maas/handlers/index.ts';
import { attachBootResources } from '../../src/edges/maas/handlers/boot-resources-routes.ts';
import { createAdmin } from '../../src/services/admin.ts';
import { createUser } from '../../src/services/identity/users.ts';
import { createToken, formatKey } from '../../src/services/identity/tokens.ts';
import type { ServiceContext } from '../../src/services/context.ts';
import { call, type Field } from '../../src/cli/client/request.ts';
import { openTestStore } from '../helpers/backends.ts';
import { quietLog, type TestRegion } from '../helpers/region.ts';

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface ImagesRegion extends TestRegion { imagesDir: string }

export async function startImagesRegion(kind: 'pglite' | 'postgres', imagesDir: string, o: { tickMs?: number } = {}): Promise<ImagesRegion> {
  const store = await openTestStore(kind);
  const svc: ServiceContext = { db: store.db, log: quietLog, now: () => new Date() };
  const { app } = buildRegionServer({ svc, handlers: HANDLERS, deps: { version: '0.1.0-test' }, logger: false });
  await attachBootResources({ app, svc, imagesDir, version: '0.1.0-test', tickMs: o.tickMs ?? 3_600_000 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const admin = await createAdmin(svc, { username: 'admin', password: 'admin-pass', email: 'admin@example.com' });
  const user = await createUser(svc, { username: 'alice', password: 'alice-pass', email: 'alice@example.com', isSuperuser: false });
  const userKey = formatKey(await createToken(store.db, user.id, 'test'));
  const base = `${origin}/MAAS/api/2.0/`;
  return {
    base, origin, svc, store, app, adminKey: admin.apiKey, userKey, imagesDir,
    async api(method, path, fields = [], key) {
      const list: Field[] = (fields as Array<Field | [string, string]>).map((f) => (Array.isArray(f) ? { name: f[0], value: f[1] } : f));
      const r = await call({ method, url: base + path, apiKey: key === undefined ? admin.apiKey : key, fields: list });
      const text = r.body.toString();
      return { status: r.status, contentType: r.contentType, text, json: () => JSON.parse(text) };
    },
    async close() { await app.close(); await store.drop(); },
  };
}

export interface MirrorProductSpec {
  os: string; release: string; arch: string; subarch?: string; version: string; label?: string;
  files: Partial<Record<'root-tgz' | 'squashfs' | 'boot-kernel' | 'boot-initrd', Buffer>>;
}

/** Writes a simplestreams mirror (index + one products file) holding these products' files. */
export function writeMirror(root: string, products: MirrorProductSpec[]): void {
  const out: Record<string, unknown> = {};
  for (const p of products) {
    const subarch = p.subarch ?? 'generic';
    const id = `org.example.plinth:v1:${p.os}:${p.release}:${p.arch}:${subarch}`;
    const items: Record<string, unknown> = {};
    for (const [ftype, data] of Object.entries(p.files)) {
      const rel = `${p.os}/${p.release}/${p.arch}/${p.version}/${subarch}/${ftype}`;
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), data!);
      items[ftype] = { ftype, path: rel, sha256: sha(data!), size: data!.length };
    }
    const existing = out[id] as { versions: Record<string, unknown> } | undefined;
    out[id] = {
      os: p.os, release: p.release, arch: p.arch, subarch, subarches: `generic,${subarch}`, release_title: `${p.os} ${p.release}`,
      versions: { ...(existing?.versions ?? {}), [p.version]: { label: p.label ?? 'stable', items } },
    };
  }
  mkdirSync(join(root, 'streams/v1'), { recursive: true });
  // `label` set at the top level is inherited by every product and version (simplestreams "expand").
  writeFileSync(join(root, 'streams/v1/org.example.plinth:v1:download.json'), JSON.stringify({
    content_id: 'org.example.plinth:v1:download', datatype: 'image-downloads', format: 'products:1.0', label: 'release', products: out,
  }, null, 1));
  writeFileSync(join(root, 'streams/v1/index.json'), JSON.stringify({
    format: 'index:1.0', index: {
      'org.example.plinth:v1:download': { datatype: 'image-downloads', format: 'products:1.0', path: 'streams/v1/org.example.plinth:v1:download.json', products: Object.keys(out) },
      'org.example.plinth:v1:bootloaders': { datatype: 'image-ids', path: 'streams/v1/none.json' },
    },
  }, null, 1));
}
