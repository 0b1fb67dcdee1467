/** Saved client profiles (`plinth login`): URL, API key and the cached API description. */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface DescribedAction { name: string; method: string; op: string | null; restful: boolean; doc: string }
export interface DescribedHandler { name: string; doc: string; params: string[]; path: string; uri: string; actions: DescribedAction[] }
export interface Description { hash: string; resources: Array<{ name: string; anon: DescribedHandler | null; auth: DescribedHandler | null }> }
export interface Profile { name: string; url: string; credentials: string | null; description: Description }

/** Command names a profile may not take (it would be shadowed by the command). */
export const RESERVED = new Set(['start', 'region', 'migrate', 'createadmin', 'apikey', 'status', 'login', 'logout', 'profiles', 'help', 'lab', 'rack', 'wait', 'images']);

const dir = () => process.env.PLINTH_CONFIG_DIR ?? join(homedir(), '.config', 'plinth');
const file = () => join(dir(), 'profiles.json');

export function loadProfiles(): Record<string, Profile> {
  if (!existsSync(file())) return {};
  return JSON.parse(readFileSync(file(), 'utf8')) as Record<string, Profile>;
}

export function saveProfiles(p: Record<string, Profile>) {
  mkdirSync(dir(), { recursive: true, mode: 0o700 });
  writeFileSync(file(), JSON.stringify(p, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file(), 0o600);
}

/** As the maas CLI does: the URL must end in /api/<version>/; otherwise api/2.0/ is appended. */
export function apiUrl(url: string): string {
  let u = url.endsWith('/') ? url : `${url}/`;
  if (!/\/api\/[\d.]+\/$/.test(u)) u += 'api/2.0/';
  return u;
}

/** The maas CLI's command name for a handler: CamelCase split, lower-cased, "handler" dropped. */
export function commandName(handlerName: string): string {
  const parts = handlerName.match(/[A-Z]*[a-z0-9]+|[A-Z]+(?=[^a-z0-9]|$)/g) ?? [];
  return parts.map((s) => s.toLowerCase()).filter((s) => s !== 'handler').join('-');
}
export const actionName = (name: string) => name.replace(/_/g, '-');
