/**
 * Golden files: every layout (flat, lvm, bcache, and blank followed by a custom document) on a
 * two-disk BIOS machine and a two-disk UEFI machine → the tree (JSON), the install plan (script)
 * and the curtin storage config (JSON) under test/storage/golden/. Any change in output fails the
 * test; after a deliberate change, regenerate with `UPDATE_GOLDEN=1` and review the diff.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { applyDocument } from '../../src/domain/storage/document.ts';
import { applyLayout } from '../../src/domain/storage/layouts/index.ts';
import { planStorage } from '../../src/domain/storage/planner.ts';
import { renderPlanScript } from '../../src/domain/storage/plan-render.ts';
import { toCurtinStorage } from '../../src/domain/storage/curtin.ts';
import type { StorageTree } from '../../src/domain/storage/types.ts';
import { seedFn, twoDiskMachine } from './fixtures.ts';
import { customDocument } from './documents.ts';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const dir = new URL('./golden/', import.meta.url);

function golden(name: string, actual: string): void {
  const file = new URL(name, dir);
  if (UPDATE) { writeFileSync(file, actual); return; }
  assert.ok(existsSync(file), `golden file ${name} is missing; run with UPDATE_GOLDEN=1 to create it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} changed; if intended, rerun with UPDATE_GOLDEN=1 and review the diff`);
}

function build(firmware: 'bios' | 'uefi', layout: string): StorageTree {
  const seed = seedFn(42);
  if (layout === 'custom') {
    const blank = applyLayout(twoDiskMachine(firmware), 'blank', {}, seed);
    assert.ok(blank.tree, JSON.stringify(blank.errors));
    const r = applyDocument(blank.tree, customDocument(firmware), seed);
    assert.ok(r.tree, JSON.stringify(r.errors));
    return r.tree;
  }
  const r = applyLayout(twoDiskMachine(firmware), layout, {}, seed);
  assert.ok(r.tree, JSON.stringify(r.errors));
  return r.tree;
}

for (const firmware of ['bios', 'uefi'] as const) {
  for (const layout of ['flat', 'lvm', 'bcache', 'custom']) {
    test(`golden: ${layout} layout on a two-disk ${firmware} machine`, () => {
      const tree = build(firmware, layout);
      const planned = planStorage(tree);
      assert.ok(planned.plan, JSON.stringify(planned.errors));
      const base = `${firmware}-${layout}`;
      golden(`${base}.tree.json`, `${JSON.stringify(tree, null, 2)}\n`);
      golden(`${base}.plan.sh`, renderPlanScript(planned.plan));
      golden(`${base}.curtin.json`, `${JSON.stringify(toCurtinStorage(tree), null, 2)}\n`);
    });
  }
}
