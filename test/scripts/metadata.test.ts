/** The embedded-metadata reader: the YAML subset, the comment block, durations and field resolution (pure, no store). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddedMetadata } from '../../src/services/scripts/embedded.ts';
import { resolveScript } from '../../src/services/scripts/input.ts';
import { parseYamlSubset } from '../../src/services/scripts/metadata-yaml.ts';
import { formatDuration, parseDuration } from '../../src/services/scripts/model.ts';
import { PlinthError } from '../../src/domain/errors.ts';

describe('script metadata', () => {
  test('YAML subset: mappings, sequences, flow forms, block scalars, scalars as PyYAML reads them', () => {
    const doc = [
      'name: t1   # trailing comment',
      'title: "Quoted: with colon"',
      "other: 'it''s'",
      'description: >',
      '  folded line one',
      '  and two',
      '',
      '  next paragraph',
      'literal: |',
      '  a',
      '    b # kept',
      'tags: [a, "b c", d]',
      'packages:',
      '  apt:',
      '    - fio',
      '  snap:',
      '    - name: lxd',
      '      channel: edge',
      'parameters:',
      '  storage: {type: storage, argument_format: "{path}"}',
      'for_hardware:',
      '- pci:8086:1234',
      'flags: [yes, No, on, off, ~, null, 12, -3, 1.5]',
      'timeout: 00:05:00',
      'empty:',
    ].join('\n');
    assert.deepEqual(parseYamlSubset(doc), {
      name: 't1', title: 'Quoted: with colon', other: "it's", description: 'folded line one and two\nnext paragraph\n',
      literal: 'a\n  b # kept\n', tags: ['a', 'b c', 'd'],
      packages: { apt: ['fio'], snap: [{ name: 'lxd', channel: 'edge' }] },
      parameters: { storage: { type: 'storage', argument_format: '{path}' } },
      for_hardware: ['pci:8086:1234'], flags: [true, false, true, false, null, null, 12, -3, 1.5], timeout: '00:05:00', empty: null,
    });
    for (const bad of ['a: [1, 2', 'a: b\n   c: d', 'a: *anchor', 'a: "x\\q"', '- a\nb: c', 'a: b\n---\nc: d', 'a: {b c}']) {
      assert.throws(() => parseYamlSubset(bad), /line \d+/, bad);
    }
  });

  test('the comment block: first 1.0 block only, text after the first #, CRLF tolerated by the caller', () => {
    const text = '#!/bin/sh\n# --- Start MAAS 1.0 script metadata ---\n# name: x\n#   \n# tags:\n#  - a\n# --- End MAAS 1.0 script metadata ---\n# name: ignored\n';
    assert.deepEqual(embeddedMetadata(text), { name: 'x', tags: ['a'] });
    assert.deepEqual(embeddedMetadata('#!/bin/sh\necho no block\n'), {});
    assert.deepEqual(embeddedMetadata('#!/bin/sh\n# --- Start MAAS 2.0 script metadata ---\n# name: y\n# --- End MAAS 2.0 script metadata ---\n'), {});
    assert.throws(() => embeddedMetadata('#!/bin/sh\n# --- Start MAAS 1.0 script metadata ---\nname: x\n'), /Missing "#"/);
  });

  test('durations: seconds, MM:SS, HH:MM:SS, days; MAAS form back', () => {
    assert.deepEqual(['300', '5:00', '0:05:00', '00:10:00', '2 days, 1:00:00', 42].map(parseDuration), [300, 300, 300, 600, 176_400, 42]);
    for (const bad of ['soon', '-1', '1:2:3:4', '', '1e3']) assert.throws(() => parseDuration(bad), /valid duration/, bad);
    assert.deepEqual([0, 90, 3600, 86_401].map(formatDuration), ['0:00:00', '0:01:30', '1:00:00', '1 day, 0:00:01']);
  });

  test('resolution: form over embedded over stored; update ignores embedded tags and timeout', () => {
    const script = '#!/bin/sh\n# --- Start MAAS 1.0 script metadata ---\n# name: n1\n# title: T\n# tags: [x]\n# timeout: 60\n# script_type: commissioning\n# --- End MAAS 1.0 script metadata ---\n';
    const created = resolveScript({ script, title: 'Form title' }, null).fields;
    assert.deepEqual([created.name, created.title, created.timeout, created.script_type, created.tags], ['n1', 'Form title', 60, 0, ['x', 'node']]);
    const updated = resolveScript({ script: script.replace('60', '999').replace('[x]', '[y]') }, { ...created, timeout: 5, tags: ['keep'] }).fields;
    assert.deepEqual([updated.title, updated.timeout, updated.tags], ['T', 5, ['keep', 'node']]);
    assert.throws(() => resolveScript({ name: 'a b', script: 'no shebang' }, null), (e: unknown) =>
      e instanceof PlinthError && e.fields?.name !== undefined && e.fields?.script?.[0] === 'Must start with shebang.');
  });
});
