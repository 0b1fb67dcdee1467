/**
 * Byte units, alignment and the size parser for user input ("512M", "1.5G", "20%", 1073741824).
 *
 * Suffix rules (case-insensitive): a bare number is bytes; K, M, G, T, P alone or with "iB" are binary
 * (powers of 1024: MAAS users write "512M" meaning MiB); with a plain "B" (KB, MB, GB, TB, PB) they are
 * decimal (powers of 1000), as IEC 80000-13 defines them. "B" alone is bytes. Fractions are allowed and
 * rounded down to a whole byte. A percentage ("25%") is kept as a fraction of whatever the caller
 * measures it against (the free space of a device, of a volume group).
 */

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** Every partition starts and ends on this boundary (and so do the sizes the domain computes). */
export const ALIGNMENT = MiB;

export const alignDown = (n: number, a = ALIGNMENT): number => Math.floor(n / a) * a;
export const alignUp = (n: number, a = ALIGNMENT): number => Math.ceil(n / a) * a;

export type SizeSpec = { bytes: number; percent?: undefined } | { percent: number; bytes?: undefined };

const MAX_BYTES = Number.MAX_SAFE_INTEGER;
const UNIT_POWER: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };
const SIZE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*([kmgtp]?)(i?b?)$/i;
const PERCENT_RE = /^(\d+(?:\.\d+)?)\s*%$/;

/**
 * Parse a size: a non-negative byte count, or a percentage when `allowPercent`. Never throws; the
 * error is a sentence for the user. Zero is accepted (callers that need a positive size say so).
 */
export function parseSize(input: unknown, opts: { allowPercent?: boolean } = {}): SizeSpec | { error: string } {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return { error: `Size must be a non-negative number of bytes, not ${input}.` };
    if (input > MAX_BYTES) return { error: 'Size is too large.' };
    return { bytes: Math.floor(input) };
  }
  if (typeof input !== 'string') return { error: 'Size must be a number of bytes or a string such as "512M" or "20G".' };
  const text = input.trim();
  if (text === '') return { error: 'Size must not be empty.' };
  const pct = PERCENT_RE.exec(text);
  if (pct) {
    if (!opts.allowPercent) return { error: `A percentage ('${text}') is not accepted here; give a size such as "20G".` };
    const percent = Number(pct[1]);
    if (percent <= 0 || percent > 100) return { error: `Percentage must be more than 0 and at most 100, not ${text}.` };
    return { percent };
  }
  const m = SIZE_RE.exec(text);
  if (!m) return { error: `'${text}' is not a size: use a number of bytes or a number with a K, M, G or T suffix.` };
  const [, num, unitRaw, tail] = m;
  const unit = unitRaw.toLowerCase();
  const t = tail.toLowerCase();
  if (t === 'i') return { error: `'${text}' is not a size: write "${num}${unitRaw}iB" or "${num}${unitRaw}".` };
  if (unit === '' && t === 'ib') return { error: `'${text}' is not a size: "iB" needs a K, M, G or T before it.` };
  const base = unit !== '' && t === 'b' ? 1000 : 1024;
  const bytes = Math.floor(Number(num) * base ** UNIT_POWER[unit]);
  if (!Number.isFinite(bytes) || bytes > MAX_BYTES) return { error: `'${text}' is too large.` };
  return { bytes };
}

/** Resolve a parsed size against the space it is a share of (percentages round down to 1 MiB). */
export function resolveSize(spec: SizeSpec, whole: number): number {
  return spec.percent !== undefined ? alignDown((whole * spec.percent) / 100) : spec.bytes;
}

/**
 * Human-readable binary size for messages: exact when it is a whole number of a unit ("512 MiB"),
 * otherwise with up to two decimals ("1.5 GiB").
 */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = bytes;
  while (i < units.length - 1 && Math.abs(v) >= 1024) { v /= 1024; i += 1; }
  const text = Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/\.?0+$/, '');
  return `${text} ${units[i]}`;
}

/** MAAS's human_size for API objects: decimal units with one decimal ("8.0 GB"). */
export function humanSizeDecimal(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = bytes;
  while (i < units.length - 1 && v >= 1000) { v /= 1000; i += 1; }
  return i === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[i]}`;
}
