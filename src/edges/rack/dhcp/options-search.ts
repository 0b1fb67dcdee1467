/**
 * Option 119, domain search list (RFC 3397): domain names in DNS wire format (RFC 1035 §3.1),
 * compressed with RFC 1035 §4.1.4 pointers whose offsets count from the start of the
 * (reassembled, RFC 3396) option data. Values over 255 octets are split by the packet codec.
 */
import { MalformedOption } from './options-basic.ts';
import { Opt } from './codes.ts';

const POINTER = 0xc0;
const MAX_OFFSET = 0x3fff;

function labelsOf(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return [];
  const labels = trimmed.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) throw new RangeError(`bad DNS label in "${name}"`);
  }
  return labels;
}

/** Encodes a search list, sharing common suffixes through compression pointers. */
export function encodeDomainSearch(names: readonly string[]): Buffer {
  const bytes: number[] = [];
  const suffixOffsets = new Map<string, number>();
  for (const name of names) {
    const labels = labelsOf(name).map((l) => l.toLowerCase());
    let i = 0;
    for (; i < labels.length; i += 1) {
      const suffix = labels.slice(i).join('.');
      const earlier = suffixOffsets.get(suffix);
      if (earlier !== undefined) {
        bytes.push(POINTER | (earlier >> 8), earlier & 255);
        break;
      }
      if (bytes.length <= MAX_OFFSET) suffixOffsets.set(suffix, bytes.length);
      const label = Buffer.from(labels[i], 'latin1');
      bytes.push(label.length, ...label);
    }
    if (i === labels.length) bytes.push(0);
  }
  return Buffer.from(bytes);
}

/** Decodes a search list; pointers must point strictly backwards (no loops). */
export function decodeDomainSearch(value: Buffer): string[] {
  const names: string[] = [];
  let at = 0;
  const fail = (why: string): never => { throw new MalformedOption(Opt.DOMAIN_SEARCH, why); };
  while (at < value.length) {
    const labels: string[] = [];
    let cursor = at;
    let jumped = false;
    let limit = value.length; // pointers must go strictly below the position they were read at
    for (;;) {
      if (cursor >= value.length) fail('name runs past the end');
      const len = value[cursor];
      if ((len & POINTER) === POINTER) {
        if (cursor + 1 >= value.length) fail('truncated pointer');
        const target = ((len & 0x3f) << 8) | value[cursor + 1];
        if (!jumped) at = cursor + 2;
        if (target >= Math.min(cursor, limit)) fail('pointer does not point backwards');
        limit = target;
        cursor = target;
        jumped = true;
        continue;
      }
      if ((len & POINTER) !== 0) fail('reserved label type');
      if (len === 0) {
        if (!jumped) at = cursor + 1;
        break;
      }
      if (cursor + 1 + len > value.length) fail('label runs past the end');
      labels.push(value.subarray(cursor + 1, cursor + 1 + len).toString('latin1'));
      cursor += 1 + len;
    }
    names.push(labels.join('.'));
  }
  return names;
}
