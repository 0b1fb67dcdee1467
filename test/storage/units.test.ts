/** Size parsing and formatting: table-driven. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GiB, KiB, MiB, TiB, alignDown, alignUp, formatSize, humanSizeDecimal, parseSize, resolveSize } from '../../src/domain/storage/units.ts';

const ok: [unknown, number][] = [
  [0, 0], [1, 1], [1048576, MiB], [1.9, 1], ['0', 0], ['4096', 4096], ['4096B', 4096], ['4096b', 4096],
  ['1K', KiB], ['1k', KiB], ['1KiB', KiB], ['1kib', KiB], ['1KB', 1000], ['1kb', 1000],
  ['512M', 512 * MiB], ['512MiB', 512 * MiB], ['512MB', 512e6], ['1G', GiB], ['1.5G', 1.5 * GiB], ['.5G', 0.5 * GiB],
  ['20G', 20 * GiB], ['20 G', 20 * GiB], [' 3G ', 3 * GiB], ['2T', 2 * TiB], ['2TB', 2e12], ['1P', 1024 * TiB],
  ['0.3333K', 341],
];
for (const [input, bytes] of ok) {
  test(`parseSize(${JSON.stringify(input)}) = ${bytes}`, () => {
    assert.deepEqual(parseSize(input), { bytes });
  });
}

const bad: [unknown, RegExp][] = [
  ['', /empty/], ['   ', /empty/], ['abc', /not a size/], ['12X', /not a size/], ['-1G', /not a size/], [-5, /non-negative/],
  [Number.NaN, /non-negative/], [Number.POSITIVE_INFINITY, /non-negative/], [null, /number of bytes or a string/],
  [undefined, /number of bytes or a string/], [true, /number of bytes or a string/], [{}, /number of bytes or a string/],
  [[1], /number of bytes or a string/], ['1Gi', /not a size/], ['1iB', /needs a K, M, G or T/], ['1..5G', /not a size/],
  ['1e3', /not a size/], ['0x10', /not a size/], ['50%', /percentage .* not accepted/], ['9999999999T', /too large/],
  [2 ** 60, /too large/],
];
for (const [input, re] of bad) {
  test(`parseSize(${String(JSON.stringify(input))}) is an error`, () => {
    const r = parseSize(input);
    assert.ok('error' in r, `expected an error, got ${JSON.stringify(r)}`);
    assert.match(r.error, re);
  });
}

const percents: [string, unknown][] = [
  ['50%', { percent: 50 }], ['100%', { percent: 100 }], ['12.5 %', { percent: 12.5 }],
  ['0%', /more than 0/], ['101%', /at most 100/], ['%', /not a size/],
];
for (const [input, expected] of percents) {
  test(`parseSize(${input}, allowPercent)`, () => {
    const r = parseSize(input, { allowPercent: true });
    if (expected instanceof RegExp) assert.match((r as { error: string }).error, expected);
    else assert.deepEqual(r, expected);
  });
}

test('resolveSize: bytes stay, percentages are a 1 MiB-aligned share', () => {
  assert.equal(resolveSize({ bytes: 123 }, 10 * GiB), 123);
  assert.equal(resolveSize({ percent: 50 }, 10 * GiB), 5 * GiB);
  assert.equal(resolveSize({ percent: 33 }, 10 * MiB), 3 * MiB);
});

test('alignment helpers', () => {
  const cases: [number, number, number][] = [[0, 0, 0], [1, 0, MiB], [MiB, MiB, MiB], [MiB + 1, MiB, 2 * MiB], [3 * MiB - 1, 2 * MiB, 3 * MiB]];
  for (const [n, down, up] of cases) {
    assert.equal(alignDown(n), down, `alignDown(${n})`);
    assert.equal(alignUp(n), up, `alignUp(${n})`);
  }
});

test('formatSize and humanSizeDecimal', () => {
  const cases: [number, string, string][] = [
    [0, '0 bytes', '0 bytes'], [512, '512 bytes', '512 bytes'], [MiB, '1 MiB', '1.0 MB'], [512 * MiB, '512 MiB', '536.9 MB'],
    [1.5 * GiB, '1.5 GiB', '1.6 GB'], [3 * TiB, '3 TiB', '3.3 TB'], [68719476736, '64 GiB', '68.7 GB'],
  ];
  for (const [n, bin, dec] of cases) {
    assert.equal(formatSize(n), bin);
    assert.equal(humanSizeDecimal(n), dec);
  }
});
