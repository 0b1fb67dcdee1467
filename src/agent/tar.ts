/**
 * Reads the maas-scripts tar (uncompressed, or gzip when the server compressed it): ustar entries,
 * with GNU long names ('L') and pax path records ('x') as Python's tarfile writes them. Entry names
 * that would leave the extraction directory are refused by the caller (see safePath).
 */
import { gunzipSync } from 'node:zlib';

export interface TarEntry { name: string; type: 'file' | 'dir' | 'other'; mode: number; data: Buffer }

const str = (b: Buffer, off: number, len: number) => { const s = b.subarray(off, off + len); const z = s.indexOf(0); return (z < 0 ? s : s.subarray(0, z)).toString('utf8'); };
const octal = (b: Buffer, off: number, len: number) => parseInt(str(b, off, len).trim() || '0', 8);

function paxPath(data: Buffer): string | undefined {
  let rest = data.toString('utf8');
  while (rest.length) {
    const sp = rest.indexOf(' ');
    const len = Number(rest.slice(0, sp));
    if (!(len > 0)) return undefined;
    const rec = rest.slice(sp + 1, len - 1);
    if (rec.startsWith('path=')) return rec.slice(5);
    rest = rest.slice(len);
  }
  return undefined;
}

export function readTar(input: Buffer): TarEntry[] {
  const buf = input[0] === 0x1f && input[1] === 0x8b ? gunzipSync(input) : input;
  const out: TarEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const sum = h.reduce((s, x, i) => s + (i >= 148 && i < 156 ? 32 : x), 0);
    if (sum !== octal(h, 148, 8)) throw new Error(`Corrupt tar header at offset ${off} (bad checksum).`);
    const size = octal(h, 124, 12);
    const flag = String.fromCharCode(h[156] || 0x30);
    const data = buf.subarray(off + 512, off + 512 + size);
    if (data.length < size) throw new Error('Truncated tar archive.');
    off += 512 + Math.ceil(size / 512) * 512;
    if (flag === 'L') { longName = str(data, 0, data.length); continue; }
    if (flag === 'x') { longName = paxPath(data) ?? longName; continue; }
    if (flag === 'g') continue;
    const prefix = str(h, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    longName = undefined;
    out.push({ name, type: flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : 'other', mode: octal(h, 100, 8), data: Buffer.from(data) });
  }
  return out;
}
