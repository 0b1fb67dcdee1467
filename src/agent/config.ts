/**
 * Where the metadata service is and the machine's credentials, as cloud-init knows them:
 * `datasource: MAAS: {metadata_url, consumer_key, consumer_secret, token_key, token_secret}` in
 * /etc/cloud/cloud.cfg.d/*.cfg (the commissioning preseed fetched through the kernel's cloud-config-url
 * lands in 91_kernel_cmdline_url.cfg). Files are merged in name order, later ones winning, as
 * cloud-init does. The files are YAML written by the region (block style) or JSON; this reads the
 * subset they use: nested mappings and scalars.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AgentConfig {
  metadata_url: string;
  consumer_key: string;
  consumer_secret: string;
  token_key: string;
  token_secret: string;
}

type Tree = { [k: string]: Tree | string };

function scalar(raw: string): string {
  const v = raw.trim();
  const dq = /^("(?:[^"\\]|\\.)*")\s*(#.*)?$/.exec(v);
  if (dq) { try { return JSON.parse(dq[1]) as string; } catch { return dq[1].slice(1, -1); } }
  const sq = /^'((?:[^']|'')*)'\s*(#.*)?$/.exec(v);
  if (sq) return sq[1].replace(/''/g, "'");
  return v.replace(/\s+#.*$/, '');
}

/** Nested block mappings with scalar leaves; sequences and other documents' content are skipped. */
export function parseYamlMappings(text: string): Tree {
  // The region writes `#cloud-config` and then JSON (which is YAML); comment lines come first.
  const trimmed = text.replace(/^(?:[ \t]*(?:#[^\n]*)?\r?\n)+/, '').trim();
  if (trimmed.startsWith('{')) {
    try { return JSON.parse(trimmed) as Tree; } catch { /* not JSON: read it as YAML */ }
  }
  const root: Tree = {};
  const stack: Array<{ indent: number; node: Tree }> = [{ indent: -1, node: root }];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || /^\s*#/.test(line) || /^\s*-/.test(line) || line.startsWith('---')) continue;
    const m = /^(\s*)("[^"]*"|'[^']*'|[^:\s][^:]*?):(?:\s+(.*))?\s*$/.exec(line);
    if (!m) continue;
    const indent = m[1].length;
    while (stack.length > 1 && stack[stack.length - 1].indent >= indent) stack.pop();
    const key = scalar(m[2]);
    const parent = stack[stack.length - 1].node;
    if (m[3] === undefined || m[3].trim() === '' || m[3].trim().startsWith('#')) {
      const child: Tree = {};
      parent[key] = child;
      stack.push({ indent, node: child });
    } else {
      parent[key] = scalar(m[3]);
    }
  }
  return root;
}

function maasSection(tree: Tree): Record<string, string> {
  const ds = tree.datasource;
  const maas = ds && typeof ds === 'object' ? ds.MAAS : undefined;
  if (!maas || typeof maas !== 'object') return {};
  return Object.fromEntries(Object.entries(maas).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** datasource.MAAS merged over the files in order (later ones win), credentials or not. */
export function datasourceFrom(files: Array<{ name: string; text: string }>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const f of files) Object.assign(merged, maasSection(parseYamlMappings(f.text)));
  return merged;
}

export function configFrom(files: Array<{ name: string; text: string }>): AgentConfig {
  const merged = datasourceFrom(files);
  const url = merged.metadata_url;
  if (!url) throw new Error(`No datasource.MAAS.metadata_url in ${files.map((f) => f.name).join(', ') || 'any config file'}.`);
  if (!/^https?:\/\//.test(url)) throw new Error(`metadata_url '${url}' is not an http(s) URL.`);
  for (const k of ['consumer_key', 'token_key', 'token_secret']) {
    if (!merged[k]) throw new Error(`No datasource.MAAS.${k}: this machine has no credentials.`);
  }
  return {
    metadata_url: url.endsWith('/') ? url : `${url}/`,
    consumer_key: merged.consumer_key, consumer_secret: merged.consumer_secret ?? '',
    token_key: merged.token_key, token_secret: merged.token_secret,
  };
}

/** `--config FILE`, else every *.cfg under <root>/etc/cloud/cloud.cfg.d, in name order. */
export function configFiles(opts: { configFile?: string; rootDir?: string }): Array<{ name: string; text: string }> {
  if (opts.configFile) return [{ name: opts.configFile, text: readFileSync(opts.configFile, 'utf8') }];
  const dir = join(opts.rootDir ?? '/', 'etc/cloud/cloud.cfg.d');
  const names = readdirSync(dir).filter((n) => n.endsWith('.cfg')).sort();
  return names.map((n) => ({ name: join(dir, n), text: readFileSync(join(dir, n), 'utf8') }));
}

export function loadConfig(opts: { configFile?: string; rootDir?: string }): AgentConfig {
  return configFrom(configFiles(opts));
}
