import type { Queryable } from '../db.ts';
import { machineVersionJsonSql, type MachineVersionRow } from './machines.ts';

export interface UserRow {
  id: number; username: string; email: string; password_hash: string;
  is_superuser: boolean; is_active: boolean; is_local: boolean;
}

export interface TokenRow {
  id: number; user_id: number | null; node_id: number | null; kind: string; name: string;
  consumer_key: string; token_key: string; token_secret: string;
}

export const usersRepo = {
  byUsername: async (q: Queryable, username: string) =>
    (await q.query<UserRow>('select * from users where username = $1', [username]))[0],
  byId: async (q: Queryable, id: number) => (await q.query<UserRow>('select * from users where id = $1', [id]))[0],
  list: (q: Queryable) => q.query<UserRow>('select * from users order by username'),
  count: async (q: Queryable) => (await q.query<{ n: number }>('select count(*)::int as n from users'))[0].n,
  insert: async (q: Queryable, u: Omit<UserRow, 'id' | 'is_active' | 'is_local'>) =>
    (await q.query<UserRow>(
      'insert into users (username, email, password_hash, is_superuser) values ($1, $2, $3, $4) returning *',
      [u.username, u.email, u.password_hash, u.is_superuser],
    ))[0],
  setPassword: (q: Queryable, id: number, hash: string) => q.query('update users set password_hash = $2 where id = $1', [id, hash]),
  touchLogin: (q: Queryable, id: number) => q.query('update users set last_login = now() where id = $1', [id]),
  delete: (q: Queryable, id: number) => q.query('delete from users where id = $1', [id]),
};

/** What a request's authentication needs of the token's user (columns null for a node token). */
export interface CredentialUser { username: string | null; is_superuser: boolean | null; is_active: boolean | null }

export const tokensRepo = {
  byTokenKey: async (q: Queryable, tokenKey: string) =>
    (await q.query<TokenRow>('select * from api_tokens where token_key = $1', [tokenKey]))[0],
  forUser: (q: Queryable, userId: number) =>
    q.query<TokenRow>("select * from api_tokens where user_id = $1 and kind = 'user' order by id", [userId]),
  forNode: async (q: Queryable, nodeId: number) =>
    (await q.query<TokenRow>("select * from api_tokens where node_id = $1 and kind = 'node' order by id limit 1", [nodeId]))[0],
  insert: async (q: Queryable, t: Omit<TokenRow, 'id'>) =>
    (await q.query<TokenRow>(
      'insert into api_tokens (user_id, node_id, kind, name, consumer_key, token_key, token_secret) values ($1,$2,$3,$4,$5,$6,$7) returning *',
      [t.user_id, t.node_id, t.kind, t.name, t.consumer_key, t.token_key, t.token_secret],
    ))[0],
  rename: (q: Queryable, id: number, name: string) => q.query('update api_tokens set name = $2 where id = $1', [id, name]),
  delete: (q: Queryable, id: number) => q.query('delete from api_tokens where id = $1', [id]),
  /**
   * The token, its user and the nonce's use in ONE round trip (the API's hot path): the nonce is
   * recorded for a known token before the caller checks the signature, which costs nothing — a
   * request that then fails verification burns only its own, random nonce. `fresh` is false for a replay.
   * `alsoMachine` (a system_id) adds that machine's `MachineVersionRow` as `machine`, so that a
   * single-machine GET needs no second statement.
   */
  credentialUsingNonce: async (q: Queryable, tokenKey: string, nonce: string, ts: number, alsoMachine?: string) =>
    (await q.query<TokenRow & CredentialUser & { fresh: boolean; machine?: MachineVersionRow | null }>(
      `with async_commit as (select set_config('synchronous_commit', 'off', true)),
            cred as (select t.id, t.user_id, t.node_id, t.kind, t.name, t.consumer_key, t.token_key, t.token_secret,
                            u.username, u.is_superuser, u.is_active
                       from api_tokens t left join users u on u.id = t.user_id where t.token_key = $1),
            used as (insert into oauth_nonces (token_key, nonce, ts) select $1, $2, $3 from async_commit
                      where exists (select 1 from cred) on conflict do nothing returning 1)
       select cred.*, exists (select 1 from used) as fresh${alsoMachine === undefined ? '' : `, ${machineVersionJsonSql('$4')} as machine`} from cred`,
      alsoMachine === undefined ? [tokenKey, nonce, ts] : [tokenKey, nonce, ts, alsoMachine], { prepare: true }))[0],
  pruneNonces: (q: Queryable, olderThan: number) => q.query('delete from oauth_nonces where ts < $1', [olderThan]),
};

export interface SessionRow { id: string; user_id: number; csrf_token: string; expires: Date }

export const sessionsRepo = {
  get: async (q: Queryable, id: string) =>
    (await q.query<SessionRow>('select * from sessions where id = $1 and expires > now()', [id]))[0],
  insert: (q: Queryable, s: SessionRow) =>
    q.query('insert into sessions (id, user_id, csrf_token, expires) values ($1, $2, $3, $4)', [s.id, s.user_id, s.csrf_token, s.expires]),
  delete: (q: Queryable, id: string) => q.query('delete from sessions where id = $1', [id]),
  prune: (q: Queryable) => q.query('delete from sessions where expires <= now()'),
};

export interface SshKeyRow { id: number; user_id: number; key: string; keysource: string | null }

export const sshKeysRepo = {
  forUser: (q: Queryable, userId: number) => q.query<SshKeyRow>('select * from sshkeys where user_id = $1 order by id', [userId]),
  get: async (q: Queryable, id: number) => (await q.query<SshKeyRow>('select * from sshkeys where id = $1', [id]))[0],
  insert: async (q: Queryable, userId: number, key: string, keysource: string | null) =>
    (await q.query<SshKeyRow>(
      'insert into sshkeys (user_id, key, keysource) values ($1, $2, $3) on conflict (user_id, key) do nothing returning *',
      [userId, key, keysource],
    ))[0],
  delete: (q: Queryable, id: number) => q.query('delete from sshkeys where id = $1', [id]),
};
