/** What every use case receives: the store, a clock and a logger. Actors are passed per call. */
import { randomInt } from 'node:crypto';
import type { Db, Queryable } from '../store/db.ts';

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ServiceContext {
  db: Db;
  log: Logger;
  now(): Date;
}

/** The authenticated caller. `null` stands for an anonymous request. */
export interface Actor { id: number; username: string; isAdmin: boolean; isNode?: boolean; nodeId?: number }

const KEY_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789';
export function randomKey(length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += KEY_CHARS[randomInt(KEY_CHARS.length)];
  return s;
}

export type { Db, Queryable };
