/**
 * The machine's own BMC, seen in-band (the kernel's IPMI device): read the LAN channel's address and
 * create a `maas` administrator for the region's IPMI power driver, as MAAS's enlistment does. The
 * parsers are pure (tested against ipmitool's output); `detectBmc` runs ipmitool from PATH.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { log } from '../log.ts';

export interface BmcCredentials {
  power_type: 'ipmi';
  power_parameters: { power_address: string; power_user: string; power_pass: string; power_driver: 'LAN_2_0' };
}

export const BMC_USER = 'maas';
/**
 * 16 characters: the IPMI 1.5 limit, which many BMCs still apply to RMCP+ sessions too (OpenIPMI's
 * ipmi_sim accepts a 20-byte password when it is set but then refuses every session with it). Set
 * as a 16-byte password; letters and digits survive every BMC's parser. 62^16 ≈ 2^95.
 */
const PASSWORD_LENGTH = 16;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** ipmitool's privilege number for ADMINISTRATOR. */
const ADMINISTRATOR = '4';
/** LAN channels to look at, the usual one first. */
const CHANNELS = [1, 2, 3, 4, 5, 6, 7, 8];

export function randomPassword(): string {
  return Array.from({ length: PASSWORD_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

/** Whether the kernel exposes an in-band IPMI interface (under `root`, normally /). */
export function hasInBandBmc(root: string): boolean {
  for (const dev of ['dev/ipmi0', 'dev/ipmi/0', 'dev/ipmidev/0']) if (existsSync(join(root, dev))) return true;
  const cls = join(root, 'sys/class/ipmi');
  try { return readdirSync(cls).length > 0; } catch { return false; }
}

/**
 * The in-band IPMI drivers are not loaded on their own in every environment (udev only loads
 * ipmi_si when firmware tables announce the BMC, and never ipmi_devintf, which makes /dev/ipmi0):
 * load them as MAAS's enlistment does. Failures are fine — then there is no BMC to find.
 */
export function loadIpmiDrivers(): void {
  for (const mod of ['ipmi_msghandler', 'ipmi_devintf', 'ipmi_si']) spawnSync('modprobe', [mod], { timeout: 30_000 });
  // ipmi_si probes the interface asynchronously; give the device node a moment to appear.
  spawnSync('udevadm', ['settle', '--timeout=10'], { timeout: 15_000 });
}

/** The `IP Address` of `ipmitool lan print <ch>`; null when unset (0.0.0.0) or missing. */
export function parseLanAddress(out: string): string | null {
  const m = /^IP Address\s*:\s*(\S+)\s*$/m.exec(out);
  if (!m || m[1] === '0.0.0.0' || !/^[\d.]+$|:/.test(m[1])) return null;
  return m[1];
}

export interface UserSlot { id: number; name: string }

/**
 * Rows of `ipmitool user list <ch>`: `%-4d%-17s…` (id, then a 16-character name column). Slots with
 * an empty name are free.
 */
export function parseUserList(out: string): UserSlot[] {
  const slots: UserSlot[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\d+)\s/.exec(line);
    if (!m) continue;
    slots.push({ id: Number(m[1]), name: line.slice(4, 21).trim() });
  }
  return slots;
}

/**
 * The slot for the `maas` user: its own if it exists, else the first free one. Slot 1 is the anonymous
 * (null-name) user on most BMCs and is never touched.
 */
export function pickUserSlot(slots: UserSlot[]): number | null {
  const own = slots.find((s) => s.name === BMC_USER);
  if (own) return own.id;
  return slots.find((s) => s.id > 1 && s.name === '')?.id ?? null;
}

/** The ipmitool calls that make `id` an enabled administrator named maas with this password. */
export function userCommands(channel: number, id: number, password: string): string[][] {
  const ch = String(channel); const uid = String(id);
  return [
    ['user', 'set', 'name', uid, BMC_USER],
    ['user', 'set', 'password', uid, password, '16'],
    ['user', 'priv', uid, ADMINISTRATOR, ch],
    ['channel', 'setaccess', ch, uid, 'callin=on', 'ipmi=on', 'link=on', `privilege=${ADMINISTRATOR}`],
    ['user', 'enable', uid],
  ];
}

type Ipmitool = (args: string[]) => { ok: boolean; out: string };

const ipmitool: Ipmitool = (args) => {
  const r = spawnSync('ipmitool', args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return { ok: false, out: r.error.message };
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
};

/**
 * Finds the BMC's LAN address and sets up the maas user. Null (with the reason logged) when there is
 * no in-band BMC or any step fails: the machine then enlists without power settings, as in MAAS.
 */
export function detectBmc(root: string, run: Ipmitool = ipmitool, loadDrivers: () => void = loadIpmiDrivers): BmcCredentials | null {
  // Only on the machine itself (root '/'), never for a test's sysfs tree.
  if (!hasInBandBmc(root) && root === '/') loadDrivers();
  if (!hasInBandBmc(root)) { log('no in-band BMC (no /dev/ipmi0 or /sys/class/ipmi): enlisting without power settings'); return null; }
  let channel = 0; let address: string | null = null;
  for (const ch of CHANNELS) {
    const r = run(['lan', 'print', String(ch)]);
    // ipmitool exits non-zero when a later parameter is unsupported (many BMCs, the lab's): the address line still counts.
    address = parseLanAddress(r.out);
    if (address) { channel = ch; break; }
  }
  if (!address) { log('BMC: no LAN channel has an IP address; enlisting without power settings'); return null; }
  const list = run(['user', 'list', String(channel)]);
  const slot = list.ok ? pickUserSlot(parseUserList(list.out)) : null;
  if (slot === null) { log(`BMC: no free user slot on channel ${channel}${list.ok ? '' : ` (${list.out.trim()})`}; enlisting without power settings`); return null; }
  const password = randomPassword();
  for (const args of userCommands(channel, slot, password)) {
    const r = run(args);
    // The password is never logged: name the failing call by its first words only.
    if (!r.ok) { log(`BMC: ipmitool ${args.slice(0, 3).join(' ')} failed: ${r.out.trim()}; enlisting without power settings`); return null; }
  }
  log(`BMC at ${address} (channel ${channel}): user ${BMC_USER} in slot ${slot}, administrator`);
  return { power_type: 'ipmi', power_parameters: { power_address: address, power_user: BMC_USER, power_pass: password, power_driver: 'LAN_2_0' } };
}
