/**
 * Errors the inner layers raise. Each names its kind; the API edge maps kinds to status codes and
 * writes the message as MAAS's plain-text body. Messages are user-facing: never put secrets in them.
 */
export type ErrorKind = 'bad_request' | 'validation' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'unavailable';

export class PlinthError extends Error {
  constructor(readonly kind: ErrorKind, message: string, readonly fields?: Record<string, string[]>) {
    super(message);
  }
}

export const badRequest = (msg: string) => new PlinthError('bad_request', msg);
export const forbidden = (msg = 'This method is reserved for admin users.') => new PlinthError('forbidden', msg);
export const notFound = (msg: string) => new PlinthError('not_found', msg);
/** Django's text for a missing object, which MAAS clients match on. */
export const noMatch = (model: string) => notFound(`No ${model} matches the given query.`);
export const conflict = (msg: string) => new PlinthError('conflict', msg);
export const unavailable = (msg: string) => new PlinthError('unavailable', msg);
/** Field errors: rendered as MAAS's JSON `{"field": ["message"]}` with status 400. */
export const invalid = (fields: Record<string, string[]>) =>
  new PlinthError('validation', Object.entries(fields).map(([k, v]) => `${k}: ${v.join(' ')}`).join('; '), fields);
