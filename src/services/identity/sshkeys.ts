/** SSH public keys of a user: add one, import from a file's text or from Launchpad/GitHub, list, delete. */
import { badRequest, noMatch, forbidden, unavailable } from '../../domain/errors.ts';
import { sshKeysRepo, type SshKeyRow } from '../../store/repos/users.ts';
import type { Actor, ServiceContext } from '../context.ts';

const KEY_TYPES = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** Returns the normalised key or an error message. */
export function validateSshKey(text: string): { key: string } | { error: string } {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || !KEY_TYPES.test(parts[0])) return { error: 'Invalid SSH public key: it must start with a key type such as ssh-ed25519 or ssh-rsa.' };
  const blob = Buffer.from(parts[1], 'base64');
  if (blob.length < 16 || blob.toString('base64').replace(/=+$/, '') !== parts[1].replace(/=+$/, ''))
    return { error: 'Invalid SSH public key: the key data is not valid base64.' };
  const typeLen = blob.readUInt32BE(0);
  if (blob.subarray(4, 4 + typeLen).toString() !== parts[0]) return { error: 'Invalid SSH public key: the key data does not match its type.' };
  return { key: parts.join(' ') };
}

export async function addSshKey(ctx: ServiceContext, actor: Actor, text: string, keysource: string | null = null): Promise<SshKeyRow> {
  const v = validateSshKey(text);
  if ('error' in v) throw badRequest(v.error);
  const row = await sshKeysRepo.insert(ctx.db, actor.id, v.key, keysource);
  if (!row) throw badRequest('This key has already been added for this user.');
  return row;
}

/** Adds every key line of an authorized_keys-style text; blank lines and comments are skipped. */
export async function importKeysText(ctx: ServiceContext, actor: Actor, text: string, keysource: string | null): Promise<SshKeyRow[]> {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!lines.length) throw badRequest('No SSH keys found to import.');
  const added: SshKeyRow[] = [];
  for (const line of lines) {
    const v = validateSshKey(line);
    if ('error' in v) throw badRequest(`${v.error} (line: ${line.slice(0, 40)}…)`);
    const row = await sshKeysRepo.insert(ctx.db, actor.id, v.key, keysource);
    if (row) added.push(row);
  }
  return added;
}

export interface KeySourceUrls { lp: string; gh: string }
export const DEFAULT_KEY_SOURCES: KeySourceUrls = {
  lp: 'https://launchpad.net/~{user}/+sshkeys',
  gh: 'https://github.com/{user}.keys',
};

/** `lp:user` / `gh:user`: fetch the user's published keys. */
export async function importKeysFrom(ctx: ServiceContext, actor: Actor, keysource: string, urls: KeySourceUrls = DEFAULT_KEY_SOURCES) {
  const m = /^(lp|gh):([A-Za-z0-9][A-Za-z0-9._-]{0,62})$/.exec(keysource.trim());
  if (!m) throw badRequest("keysource must be 'lp:<user>' (Launchpad) or 'gh:<user>' (GitHub).");
  const url = urls[m[1] as 'lp' | 'gh'].replace('{user}', encodeURIComponent(m[2]));
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    if (res.status === 404) throw badRequest(`Unable to import SSH keys: no such user '${m[2]}' at ${m[1] === 'lp' ? 'Launchpad' : 'GitHub'}.`);
    if (!res.ok) throw unavailable(`Unable to import SSH keys: the key source answered HTTP ${res.status}.`);
    text = await res.text();
  } catch (err) {
    if (err instanceof Error && 'kind' in err) throw err;
    throw unavailable(`Unable to import SSH keys from ${keysource}: the key source could not be reached.`);
  }
  return importKeysText(ctx, actor, text, keysource);
}

export function listSshKeys(ctx: ServiceContext, actor: Actor) {
  return sshKeysRepo.forUser(ctx.db, actor.id);
}

export async function getSshKey(ctx: ServiceContext, actor: Actor, id: number) {
  const k = await sshKeysRepo.get(ctx.db, id);
  if (!k) throw noMatch('SSHKey');
  if (k.user_id !== actor.id) throw forbidden("Can't get a key you don't own.");
  return k;
}

export async function deleteSshKey(ctx: ServiceContext, actor: Actor, id: number) {
  const k = await sshKeysRepo.get(ctx.db, id);
  if (!k) throw noMatch('SSHKey');
  if (k.user_id !== actor.id) throw forbidden("Can't delete a key you don't own.");
  await sshKeysRepo.delete(ctx.db, id);
}
