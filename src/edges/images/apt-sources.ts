/**
 * Finding the Debian archive to build from in the host's apt configuration, so no mirror host is
 * ever written into Plinth: the one-line format (`/etc/apt/sources.list`, `*.list`) and deb822
 * (`*.sources`). Pure parsing plus one reader of the files.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ImageError } from './errors.ts';

export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  enabled: boolean;
  /** File the entry came from, for messages. */
  origin: string;
}

/** One-line format: `deb [opt=val …] URI SUITE COMPONENT…`; `#` starts a comment. */
export function parseOneLine(text: string, origin = 'sources.list'): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(deb|deb-src)\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({ types: [m[1]], uris: [m[2]], suites: [m[3]], components: m[4].split(/\s+/).filter(Boolean), enabled: true, origin });
  }
  return out;
}

/**
 * deb822: stanzas separated by blank lines, `Field: value` with continuation lines starting with
 * whitespace; `#` lines are comments. Field names are case-insensitive.
 */
export function parseDeb822(text: string, origin = 'debian.sources'): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const raw of stanza.split('\n')) {
      if (/^\s*#/.test(raw) || !raw.trim()) continue;
      if (/^\s/.test(raw) && last) {
        fields.set(last, `${fields.get(last)} ${raw.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(raw);
      if (!m) continue;
      last = m[1].toLowerCase();
      fields.set(last, m[2].trim());
    }
    const list = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    if (!fields.has('uris')) continue;
    out.push({
      types: list('types'), uris: list('uris'), suites: list('suites'), components: list('components'),
      enabled: !/^(no|false|0)$/i.test(fields.get('enabled') ?? 'yes'), origin,
    });
  }
  return out;
}

const usable = (s: AptSource) => s.enabled && s.types.includes('deb') && s.components.includes('main')
  && s.uris.some((u) => /^(https?|file):/.test(u));

/**
 * The main archive for `suite`: an entry listing the suite itself; failing that one listing a
 * suite of its family (`<suite>-updates`, `<suite>-backports`), which lives in the same archive.
 * `<suite>-security` is a different archive (debian-security) and never qualifies.
 */
export function pickMirror(sources: AptSource[], suite: string): string | undefined {
  const ok = sources.filter(usable);
  const exact = ok.find((s) => s.suites.includes(suite));
  const family = ok.find((s) => s.suites.some((x) => x.startsWith(`${suite}-`) && !/-security$/.test(x)));
  const hit = exact ?? family;
  return hit?.uris.find((u) => /^(https?|file):/.test(u))?.replace(/\/+$/, '');
}

/** Reads the host's apt configuration under `root` (default `/etc/apt`). */
export function hostSources(aptDir = '/etc/apt'): AptSource[] {
  const out: AptSource[] = [];
  const list = join(aptDir, 'sources.list');
  if (existsSync(list)) out.push(...parseOneLine(readFileSync(list, 'utf8'), list));
  const dir = join(aptDir, 'sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (f.endsWith('.sources')) out.push(...parseDeb822(readFileSync(p, 'utf8'), p));
      else if (f.endsWith('.list')) out.push(...parseOneLine(readFileSync(p, 'utf8'), p));
    }
  }
  return out;
}

export function resolveMirror(suite: string, explicit?: string, aptDir?: string): string {
  if (explicit) {
    if (!/^(https?|file):\/\/\S+$/.test(explicit)) throw new ImageError('bad_option', `--mirror must be an http(s):// or file:// URL (got ${explicit})`);
    return explicit.replace(/\/+$/, '');
  }
  const m = pickMirror(hostSources(aptDir), suite);
  if (!m) throw new ImageError('no_mirror', `no Debian archive for ${suite} (main) in the host's apt sources; pass --mirror URL`);
  return m;
}
