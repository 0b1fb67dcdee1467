/** Architectures in MAAS form `<arch>/<subarch>`; a bare arch means `<arch>/generic`. */
export const ARCHES = ['amd64', 'arm64', 'armhf', 'i386', 'ppc64el', 's390x', 'riscv64'] as const;

export function normalizeArchitecture(input: string): string | null {
  const [arch, sub, extra] = input.trim().split('/');
  if (extra !== undefined || !(ARCHES as readonly string[]).includes(arch)) return null;
  if (sub !== undefined && !/^[a-z0-9][a-z0-9.+-]{0,63}$/.test(sub)) return null;
  return `${arch}/${sub || 'generic'}`;
}

export const architectureError = (input: string) =>
  `'${input}' is not a valid architecture. It should be one of: ${ARCHES.map((a) => `'${a}/generic'`).join(', ')}.`;
