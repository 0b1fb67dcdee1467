/** Hostname rules (RFC 1123 labels) and the adjective-noun names MAAS-style installs give new machines. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

export function validateHostname(name: string): string | null {
  if (!name) return 'Hostname must not be empty.';
  if (name.length > 63) return 'Hostname must be 63 characters or fewer.';
  if (!LABEL.test(name)) return `Invalid hostname: '${name}'. Use letters, digits and hyphens; it may not start or end with a hyphen.`;
  return null;
}

const ADJECTIVES = ['able', 'bold', 'calm', 'deft', 'eager', 'fair', 'glad', 'hardy', 'keen', 'lucid', 'merry', 'noble',
  'proud', 'quick', 'rapid', 'sharp', 'steady', 'swift', 'tidy', 'vivid', 'warm', 'wise', 'young', 'zesty'];
const NOUNS = ['anvil', 'beacon', 'cobalt', 'delta', 'ember', 'falcon', 'garnet', 'harbor', 'island', 'jasper', 'kestrel',
  'lantern', 'meadow', 'nimbus', 'orchid', 'pylon', 'quartz', 'raven', 'summit', 'tundra', 'umber', 'vessel', 'willow', 'zephyr'];

/** A friendly default hostname from two random integers supplied by the caller. */
export function friendlyHostname(a: number, b: number): string {
  return `${ADJECTIVES[Math.abs(a) % ADJECTIVES.length]}-${NOUNS[Math.abs(b) % NOUNS.length]}`;
}
