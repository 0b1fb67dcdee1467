/** MAC addresses: accepted with ':' '-' or '.' separators or none; stored lower-case colon form. */
export function normalizeMac(input: string): string | null {
  const hex = input.trim().toLowerCase().replace(/[:.-]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex)) return null;
  return hex.match(/../g)!.join(':');
}
