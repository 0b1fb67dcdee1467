/** Finding the Debian archive in apt's configuration: one-line and deb822 formats (example.org fixtures). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeb822, parseOneLine, pickMirror, resolveMirror } from '../../src/edges/images/apt-sources.ts';
import { ImageError } from '../../src/edges/images/errors.ts';

const fixture = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');

test('one-line sources.list: options, comments, deb-src and the security archive', () => {
  const s = parseOneLine(fixture('sources.list'));
  assert.equal(s.length, 4);
  assert.deepEqual(s[2], {
    types: ['deb'], uris: ['http://security.example.org/debian-security'], suites: ['bookworm-security'], components: ['main'], enabled: true, origin: 'sources.list',
  });
  assert.equal(pickMirror(s, 'bookworm'), 'http://mirror.example.org/debian');
  assert.equal(pickMirror(s, 'trixie'), undefined);
});

test('deb822: multi-value fields, continuation lines, Enabled: no, trailing slash', () => {
  const s = parseDeb822(fixture('debian.sources'));
  assert.equal(s.length, 3);
  assert.deepEqual(s[0].types, ['deb', 'deb-src']);
  assert.deepEqual(s[0].suites, ['bookworm', 'bookworm-updates']);
  assert.equal(s[2].enabled, false);
  assert.equal(pickMirror(s, 'bookworm'), 'http://deb.example.org/debian');
  // The disabled trixie entry does not count.
  assert.equal(pickMirror(s, 'trixie'), undefined);
});

test('a family suite (-updates) qualifies, -security never does', () => {
  const only = parseOneLine('deb http://sec.example.org/debian-security bookworm-security main\ndeb http://up.example.org/debian bookworm-updates main\n');
  assert.equal(pickMirror(only, 'bookworm'), 'http://up.example.org/debian');
  assert.equal(pickMirror(parseOneLine('deb http://sec.example.org/debian-security bookworm-security main\n'), 'bookworm'), undefined);
  // main is required: a contrib-only entry is no Debian main archive.
  assert.equal(pickMirror(parseOneLine('deb http://c.example.org/debian bookworm contrib\n'), 'bookworm'), undefined);
});

test('resolveMirror reads an apt directory; --mirror wins and is validated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-apt-'));
  mkdirSync(join(dir, 'sources.list.d'));
  writeFileSync(join(dir, 'sources.list.d', 'debian.sources'), fixture('debian.sources'));
  writeFileSync(join(dir, 'sources.list.d', 'other.list'), 'deb http://other.example.org/x bookworm main\n');
  assert.equal(resolveMirror('bookworm', undefined, dir), 'http://deb.example.org/debian');
  assert.equal(resolveMirror('bookworm', 'http://given.example.org/debian/', dir), 'http://given.example.org/debian');
  assert.throws(() => resolveMirror('bookworm', 'ftp://x', dir), (e: ImageError) => e.code === 'bad_option');
  assert.throws(() => resolveMirror('sid', undefined, dir), (e: ImageError) => e.code === 'no_mirror' && /--mirror/.test(e.message));
});
