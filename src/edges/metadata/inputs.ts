/** The metadata service's inputs, checked with zod before any use case sees them. */
import { z } from 'zod';
import { SIGNAL_STATUSES, type SignalInput } from '../../services/metadata/signal.ts';
import type { StatusEvent } from '../../services/metadata/webhook.ts';
import type { FilePart } from '../maas/wire/multipart.ts';

const int = z.string().trim().regex(/^-?\d{1,9}$/, 'Expected a whole number.').transform(Number);
const float = z.string().trim().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'Expected a number.').transform(Number);

const signalSchema = z.object({
  status: z.string(),
  error: z.string().max(10_000).optional(),
  script_result_id: int.optional(),
  exit_status: int.optional(),
  runtime: float.optional(),
  name: z.string().min(1).max(255).optional(),
  power_type: z.string().max(64).optional(),
  power_parameters: z.string().max(100_000).optional(),
});

const FIELD_NAMES = new Set(['op', 'status', 'error', 'script_result_id', 'script_result', 'exit_status', 'result', 'runtime', 'name',
  'script_version_id', 'power_type', 'power_parameters']);

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** The signal's form: fields (first value wins) and uploaded result files. */
export function parseSignal(fields: Array<[string, string]>, files: FilePart[]): Parsed<SignalInput> {
  const f: Record<string, string> = {};
  for (const [k, v] of fields) if (!(k in f)) f[k] = v;
  // MAAS's aliases for exit_status.
  f.exit_status ??= f.script_result ?? f.result;
  if (f.status === undefined) return { ok: false, message: 'Missing parameter: status' };
  if (!(SIGNAL_STATUSES as readonly string[]).includes(f.status)) return { ok: false, message: `Unknown status: '${f.status}'` };
  const parsed = signalSchema.safeParse(Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)));
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  let power: Record<string, string> | undefined;
  if (parsed.data.power_parameters !== undefined) {
    let json: unknown;
    try { json = JSON.parse(parsed.data.power_parameters); } catch { return { ok: false, message: 'power_parameters: not valid JSON.' }; }
    const pp = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).safeParse(json);
    if (!pp.success) return { ok: false, message: 'power_parameters: expected a JSON object of plain values.' };
    power = Object.fromEntries(Object.entries(pp.data).map(([k, v]) => [k, String(v)]));
  }
  const uploads = files.filter((p) => !FIELD_NAMES.has(p.name)).map((p) => ({ name: p.name, data: p.data }));
  const { power_parameters: _ignored, ...rest } = parsed.data;
  void _ignored;
  return { ok: true, value: { ...rest, status: f.status as SignalInput['status'], power_parameters: power, files: uploads } };
}

const fileSchema = z.object({
  path: z.string().max(4096).optional(), name: z.string().max(4096).optional(), encoding: z.string().optional(),
  compression: z.string().optional(), content: z.string(), result: z.number().int().optional(),
});
const eventSchema = z.object({
  event_type: z.string().max(64), origin: z.string().max(64), name: z.string().max(1024), description: z.string().max(100_000),
  result: z.string().max(64).optional(), timestamp: z.number().optional(), files: z.array(fileSchema).max(100).optional(),
});
const REQUIRED = ['event_type', 'origin', 'name', 'description'] as const;

/** The webhook's JSON body: ASCII only, with MAAS's 400 texts. */
export function parseStatusEvent(body: Buffer | undefined): Parsed<StatusEvent> {
  const raw = body ?? Buffer.alloc(0);
  if (raw.some((b) => b > 0x7f)) return { ok: false, message: 'Status payload must be ASCII-only.' };
  let json: unknown;
  try { json = JSON.parse(raw.toString('ascii')); } catch { return { ok: false, message: 'Status payload is not valid JSON.' }; }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, message: 'Status payload must be a JSON object.' };
  const missing = REQUIRED.filter((k) => !(k in json));
  if (missing.length) return { ok: false, message: `Missing parameter(s) ${missing.join(', ')} in status message.` };
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) return { ok: false, message: `Invalid status message: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  return { ok: true, value: parsed.data };
}
