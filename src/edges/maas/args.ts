/**
 * Request parameters validated against an action's declared ParamSpecs (zod schemas built from them).
 * Values arrive as repeated string pairs (query, multipart, urlencoded); after validation the action
 * reads typed values. Unknown parameters are ignored, as MAAS does.
 */
import { z } from 'zod';
import { PlinthError, invalid } from '../../domain/errors.ts';
import type { ParamSpec } from './declare.ts';
import type { FilePart } from './wire/multipart.ts';

const TRUE = ['true', '1', 'yes', 'on', 't', 'y'];
const FALSE = ['false', '0', 'no', 'off', 'f', 'n', ''];

const one = (v: string[]) => v[v.length - 1];
// NUL cannot be stored in PostgreSQL text and has no business in any parameter.
const text = z.string().max(1 << 20).refine((v) => !v.includes('\u0000'), 'Null characters are not allowed.');
const schemaFor = (s: ParamSpec): z.ZodType => {
  switch (s.type) {
    case 'string': return z.array(text).transform(one);
    case 'strings': return z.array(text);
    case 'int': return z.array(z.string()).transform(one).pipe(
      z.string().trim().regex(/^[+-]?\d{1,15}$/, 'Enter a whole number.').transform(Number));
    case 'float': return z.array(z.string()).transform(one).pipe(
      z.string().trim().regex(/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/, 'Enter a number.').transform(Number));
    case 'bool': return z.array(z.string()).transform(one).pipe(
      z.string().trim().toLowerCase().refine((v) => TRUE.includes(v) || FALSE.includes(v), 'Enter a valid boolean (true or false).')
        .transform((v) => TRUE.includes(v)));
    case 'file': return z.any();
  }
};

export class Args {
  constructor(
    private readonly values: Map<string, unknown>,
    readonly prefixed: Map<string, Record<string, string>>,
    private readonly files: FilePart[],
    private readonly raw: Array<[string, string]> = [],
  ) {}
  /** Every key=value pair as sent (for free-form maps such as workload annotations), minus `skip`. */
  pairsExcept(skip: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.raw) if (!skip.includes(k) && !k.startsWith('oauth_')) out[k] = v;
    return out;
  }
  has(name: string) { return this.values.has(name); }
  str(name: string): string | undefined { return this.values.get(name) as string | undefined; }
  int(name: string): number | undefined { return this.values.get(name) as number | undefined; }
  num(name: string): number | undefined { return this.values.get(name) as number | undefined; }
  bool(name: string): boolean | undefined { return this.values.get(name) as boolean | undefined; }
  list(name: string): string[] { return (this.values.get(name) as string[] | undefined) ?? []; }
  file(name: string): FilePart | undefined { return this.files.find((f) => f.name === name); }
  prefix(name: string): Record<string, string> { return this.prefixed.get(name) ?? {}; }
}

/** Validates pairs against specs; throws a 400 with MAAS's field-error JSON on failure. */
export function buildArgs(specs: ParamSpec[], pairs: Array<[string, string]>, files: FilePart[]): Args {
  const raw = new Map<string, string[]>();
  for (const [k, v] of pairs) {
    if (k.startsWith('oauth_')) continue; // never seen by handlers (as MAAS does)
    const list = raw.get(k);
    if (list) list.push(v); else raw.set(k, [v]);
  }
  const values = new Map<string, unknown>();
  const prefixed = new Map<string, Record<string, string>>();
  const errors: Record<string, string[]> = {};
  for (const spec of specs) {
    if (spec.prefix) {
      const stem = spec.name.replace(/\{.*\}$/, '');
      const map: Record<string, string> = {};
      for (const [k, v] of raw) if (k.startsWith(stem) && k.length > stem.length) map[k.slice(stem.length)] = one(v);
      prefixed.set(stem, map);
      continue;
    }
    if (spec.type === 'file') {
      const f = files.find((x) => x.name === spec.name);
      if (!f && !raw.has(spec.name) && spec.required) errors[spec.name] = ['This field is required.'];
      if (!f && raw.has(spec.name)) files.push({ name: spec.name, filename: null, contentType: null, data: Buffer.from(one(raw.get(spec.name)!)) });
      continue;
    }
    // `key@=file` from the maas CLI arrives as a file part; a text parameter takes its content.
    const file = raw.has(spec.name) ? undefined : files.find((f) => f.name === spec.name);
    const v = raw.get(spec.name) ?? (file ? [file.data.toString('utf8')] : undefined);
    if (v === undefined) {
      if (spec.required) errors[spec.name] = ['This field is required.'];
      continue;
    }
    const r = schemaFor(spec).safeParse(v);
    if (!r.success) errors[spec.name] = r.error.issues.map((i) => i.message);
    else if (spec.required && spec.type === 'string' && (r.data as string).trim() === '') errors[spec.name] = ['This field is required.'];
    else values.set(spec.name, r.data);
  }
  if (Object.keys(errors).length) throw invalid(errors);
  return new Args(values, prefixed, files, pairs);
}

export { PlinthError };
