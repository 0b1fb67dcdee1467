/**
 * Parameters of `set_storage_layout` (maas-api-spec.md §8.1), parsed from what the API receives
 * (strings, numbers, booleans). Every problem becomes a `{field, message}`; nothing throws.
 */
import { deviceName } from '../tree.ts';
import { parseSize, type SizeSpec } from '../units.ts';
import { CACHE_MODES, type CacheMode, type StorageError, type StorageTree } from '../types.ts';

export interface LayoutParams {
  /** Bytes of the /boot partition; 0 for none; undefined for the layout's default. */
  boot_size?: number;
  /** Root partition size (or share of the free space); undefined for all of it. */
  root_size?: SizeSpec;
  /** Block device id to put the root partition on; undefined for the boot disk. */
  root_device?: number;
  vg_name: string;
  lv_name: string;
  lv_size?: SizeSpec;
  /** Block device id of the bcache cache device; undefined to pick the smallest SSD. */
  cache_device?: number;
  cache_mode: CacheMode;
  cache_size?: SizeSpec;
  cache_no_part: boolean;
}

export const PARAM_NAMES = ['boot_size', 'root_size', 'root_device', 'vg_name', 'lv_name', 'lv_size', 'cache_device', 'cache_mode', 'cache_size', 'cache_no_part'] as const;

const LVM_NAME_RE = /^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,62}$/;

/** A device named by id (number or digits) or by name; physical devices only. */
function parseDevice(t: StorageTree, field: string, v: unknown, errors: StorageError[]): number | undefined {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : null;
  if (s === null || s === '') { errors.push({ field, message: `${field} must be a block device id or name.` }); return undefined; }
  const dev = /^\d+$/.test(s) ? t.block_devices.find((d) => d.id === Number(s)) : t.block_devices.find((d) => deviceName(t, d) === s);
  if (!dev) { errors.push({ field, message: `${field}: no block device '${s}' on this machine.` }); return undefined; }
  if (dev.type !== 'physical') { errors.push({ field, message: `${field}: ${deviceName(t, dev)} is not a physical disk.` }); return undefined; }
  return dev.id;
}

function parseBool(field: string, v: unknown, errors: StorageError[]): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string' && /^(true|false|1|0|yes|no|on|off)$/i.test(v.trim())) return /^(true|1|yes|on)$/i.test(v.trim());
  errors.push({ field, message: `${field} must be true or false.` });
  return false;
}

function parseName(field: string, v: unknown, fallback: string, errors: StorageError[]): string {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v !== 'string' || !LVM_NAME_RE.test(v.trim())) {
    errors.push({ field, message: `${field} must be 1 to 63 letters, digits or '+_.-' (not starting with '-').` });
    return fallback;
  }
  return v.trim();
}

function size(field: string, v: unknown, allowPercent: boolean, errors: StorageError[]): SizeSpec | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const r = parseSize(v, { allowPercent });
  if ('error' in r) { errors.push({ field, message: `${field}: ${r.error}` }); return undefined; }
  return r;
}

export function parseLayoutParams(t: StorageTree, raw: unknown): { params: LayoutParams; errors: StorageError[] } {
  const errors: StorageError[] = [];
  const input: Record<string, unknown> = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? raw as Record<string, unknown> : {};
  if (raw !== undefined && raw !== null && input !== raw) errors.push({ message: 'Layout parameters must be an object of name → value.' });
  for (const k of Object.keys(input)) {
    if (!(PARAM_NAMES as readonly string[]).includes(k)) errors.push({ field: k, message: `Unknown parameter '${k}'; layouts take ${PARAM_NAMES.join(', ')}.` });
  }
  const has = (k: string) => input[k] !== undefined && input[k] !== null && input[k] !== '';
  const boot = size('boot_size', input.boot_size, false, errors);
  const modeRaw = input.cache_mode;
  let cache_mode: CacheMode = 'writethrough';
  if (has('cache_mode')) {
    const m = typeof modeRaw === 'string' ? modeRaw.trim().toLowerCase() : '';
    if ((CACHE_MODES as readonly string[]).includes(m)) cache_mode = m as CacheMode;
    else errors.push({ field: 'cache_mode', message: `cache_mode must be one of ${CACHE_MODES.join(', ')}.` });
  }
  const params: LayoutParams = {
    boot_size: boot?.bytes,
    root_size: size('root_size', input.root_size, true, errors),
    root_device: has('root_device') ? parseDevice(t, 'root_device', input.root_device, errors) : undefined,
    vg_name: parseName('vg_name', input.vg_name, 'vgroot', errors),
    lv_name: parseName('lv_name', input.lv_name, 'lvroot', errors),
    lv_size: size('lv_size', input.lv_size, true, errors),
    cache_device: has('cache_device') ? parseDevice(t, 'cache_device', input.cache_device, errors) : undefined,
    cache_mode,
    cache_size: size('cache_size', input.cache_size, true, errors),
    cache_no_part: has('cache_no_part') ? parseBool('cache_no_part', input.cache_no_part, errors) : false,
  };
  return { params, errors };
}
