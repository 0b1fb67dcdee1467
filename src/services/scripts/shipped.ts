/**
 * Every script Plinth ships: the commissioning module's (services/commissioning/builtin.ts) and the
 * one `for_hardware` needs, `10-plinth-modaliases` (MAAS's `maas-list-modaliases`): the modalias of
 * every device the kernel knows, one per line. The region matches `modalias:`, `pci:` and `usb:`
 * identifiers against that list once this run's built-in scripts have reported (hardware-facts.ts).
 */
import { BUILTIN_SCRIPTS, type BuiltinScript } from '../commissioning/builtin.ts';

export const MODALIASES_SCRIPT = '10-plinth-modaliases';

const MODALIASES_TEXT = `#!/bin/sh
# ${MODALIASES_SCRIPT}: every device modalias the kernel lists under /sys, one per line, sorted, once each.
# Reads sysfs only; changes nothing. SYSFS may point elsewhere (tests feed captured trees).
set -u
find "\${SYSFS:-/sys}/devices" -name modalias -type f -exec cat {} + 2>/dev/null | sort -u
`;

export const MODALIASES: BuiltinScript = {
  name: MODALIASES_SCRIPT, kind: 'commissioning', content: MODALIASES_TEXT, timeout_seconds: 60, parallel: 'any',
  hardware_type: 'node', packages: {}, tags: ['node'], may_reboot: false,
};

/** The API id of the modalias script: the top of the built-in range, so the commissioning module's ids stay put. */
export const MODALIASES_ID = 999;

export const SHIPPED_SCRIPTS: readonly BuiltinScript[] = [...BUILTIN_SCRIPTS, MODALIASES];

/** The built-in commissioning scripts a commissioning run reads the machine with. */
export const SHIPPED_COMMISSIONING = SHIPPED_SCRIPTS.filter((s) => s.kind === 'commissioning').map((s) => s.name);
