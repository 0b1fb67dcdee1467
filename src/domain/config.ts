/**
 * Region configuration settings (`maas/?op=get_config|set_config`): each with its default and a
 * parser from the wire's string form. Unknown names are refused with MAAS's message.
 */
export type ConfigValue = string | number | boolean | null;

interface Setting { default: ConfigValue; parse: (raw: string) => ConfigValue | Error }

const str = (d: string | null): Setting => ({ default: d, parse: (r) => r });
const nullableStr = (d: string | null): Setting => ({ default: d, parse: (r) => (r === '' ? null : r) });
const bool = (d: boolean): Setting => ({
  default: d,
  parse: (r) => {
    const v = r.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    return new Error('Enter a valid boolean (true or false).');
  },
});
const int = (d: number, min: number, max: number): Setting => ({
  default: d,
  parse: (r) => {
    if (!/^-?\d+$/.test(r.trim())) return new Error('Enter a whole number.');
    const n = Number(r);
    if (n < min || n > max) return new Error(`Ensure this value is between ${min} and ${max}.`);
    return n;
  },
});
const choice = (d: string, options: string[]): Setting => ({
  default: d,
  parse: (r) => (options.includes(r) ? r : new Error(`Select a valid choice. ${r} is not one of the available choices (${options.join(', ')}).`)),
});
const hostList = (d: string | null): Setting => ({
  default: d,
  parse: (r) => {
    const items = r.split(/[\s,]+/).filter(Boolean);
    for (const i of items) if (!/^[A-Za-z0-9.:-]+$/.test(i)) return new Error(`Invalid address or hostname: '${i}'.`);
    return items.length ? items.join(' ') : null;
  },
});
const url = (d: string | null): Setting => ({
  default: d,
  parse: (r) => {
    if (r === '') return null;
    try { const u = new URL(r); return u.protocol === 'http:' || u.protocol === 'https:' ? r : new Error('Enter a valid URL.'); } catch { return new Error('Enter a valid URL.'); }
  },
});

export const SETTINGS: Record<string, Setting> = {
  maas_name: str('plinth'),
  theme: str(''),
  kernel_opts: nullableStr(null),
  upstream_dns: hostList(null),
  dnssec_validation: choice('auto', ['auto', 'yes', 'no']),
  default_dns_ttl: int(30, 1, 604800),
  ntp_servers: hostList('ntp.ubuntu.com'),
  ntp_external_only: bool(false),
  remote_syslog: nullableStr(null),
  http_proxy: url(null),
  enable_http_proxy: bool(true),
  default_osystem: str('debian'),
  default_distro_series: str('bookworm'),
  default_min_hwe_kernel: str(''),
  commissioning_distro_series: str('bookworm'),
  default_storage_layout: choice('flat', ['flat', 'lvm', 'bcache', 'blank']),
  default_boot_interface_link_type: choice('auto', ['auto', 'dhcp', 'static', 'link_up']),
  enable_disk_erasing_on_release: bool(false),
  disk_erase_with_secure_erase: bool(true),
  disk_erase_with_quick_erase: bool(false),
  enable_kernel_crash_dump: bool(false),
  enable_third_party_drivers: bool(true),
  boot_images_auto_import: bool(true),
  curtin_verbose: bool(true),
  enlist_commissioning: bool(true),
  node_timeout: int(30, 1, 1440),
  network_discovery: choice('enabled', ['enabled', 'disabled']),
  active_discovery_interval: int(10800, 0, 604800),
  max_node_commissioning_results: int(10, 1, 1000),
  max_node_testing_results: int(10, 1, 1000),
  max_node_installation_results: int(3, 1, 1000),
  max_node_release_results: int(3, 1, 1000),
  maas_auto_ipmi_user: str('maas'),
  maas_auto_ipmi_user_privilege_level: choice('ADMIN', ['USER', 'OPERATOR', 'ADMIN']),
  maas_auto_ipmi_cipher_suite_id: choice('3', ['3', '8', '12', '17', '']),
  session_length: int(1209600, 60, 31536000),
  completed_intro: bool(false),
  enable_analytics: bool(false),
  release_notifications: bool(true),
  prometheus_enabled: bool(true),
};

export const ALIASES: Record<string, string> = { ntp_server: 'ntp_servers' };

export const canonicalName = (name: string) => ALIASES[name] ?? name;

export function unknownSettingMessage(name: string): string {
  return `${name} is not a valid config setting (valid settings are: ${Object.keys(SETTINGS).sort().join(', ')}).`;
}

/** Parses a wire value for a setting; returns the value or an error message. */
export function parseSetting(name: string, raw: string): { value: ConfigValue } | { error: string } {
  const s = SETTINGS[canonicalName(name)];
  if (!s) return { error: unknownSettingMessage(name) };
  const v = s.parse(raw);
  return v instanceof Error ? { error: v.message } : { value: v };
}
