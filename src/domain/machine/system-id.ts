/**
 * system_ids: six characters in a base-24 alphabet, drawn from [24^5, 24^6) so every id has six digits.
 * The caller supplies the random integer (the domain does no I/O).
 */
const ALPHABET = 'abcdefghkmnpqrstwxy346789'.slice(0, 24);
export const SYSTEM_ID_MIN = 24 ** 5;
export const SYSTEM_ID_SPAN = 24 ** 6 - 24 ** 5;

export function systemIdFromInt(n: number): string {
  let v = SYSTEM_ID_MIN + (Math.abs(Math.trunc(n)) % SYSTEM_ID_SPAN);
  let out = '';
  while (v > 0) {
    out = ALPHABET[v % 24] + out;
    v = Math.floor(v / 24);
  }
  return out;
}

export const isSystemId = (s: string) => /^[a-z0-9]{6}$/.test(s);
