/**
 * DHCP server configuration: plain JSON-able data that the region pushes to the rack, validated
 * and compiled into lookup structures (`compileConfig`). Times are in seconds.
 *
 * Example:
 * ```json
 * { "role": "primary",
 *   "subnets": [{ "cidr": "10.213.0.0/24", "serverAddress": "10.213.0.1",
 *                 "router": "10.213.0.1", "dnsServers": ["10.213.0.1"],
 *                 "domain": "maas", "searchDomains": ["maas", "lab.example"],
 *                 "pools": [{ "start": "10.213.0.100", "end": "10.213.0.199" }],
 *                 "reservations": [{ "mac": "52:54:00:00:00:01", "ip": "10.213.0.10", "hostname": "node1" }] }] }
 * ```
 */
import { normalizeMac } from '../../../domain/machine/mac.ts';
import { cidrContains, intToIp, parseCidr, parseIp, type Cidr } from './ipv4.ts';
import { compileBoot, type BootConfig, type CompiledBoot } from './boot.ts';
import { encodeNetworkOptions } from './options-network.ts';
import { DEFAULT_TAKEOVER_SECS } from './standby.ts';

export interface PoolConfig { start: string; end: string }

export interface ReservationConfig {
  /** Hardware address; any of the usual separators. */
  mac: string;
  ip: string;
  /** Sent as option 12. */
  hostname?: string;
}

export interface SubnetConfig {
  /** Network in CIDR form, e.g. "10.213.0.0/24". */
  cidr: string;
  /** This server's address for clients of the subnet: the server identifier (option 54). */
  serverAddress: string;
  /**
   * Whether clients on this subnet reach the server by broadcast without a relay. Defaults to
   * true when `serverAddress` lies inside `cidr`. See server.ts for why this must be stated.
   */
  attached?: boolean;
  /** Default gateway (option 3). */
  router?: string;
  /** Option 6. */
  dnsServers?: string[];
  /** Option 15. */
  domain?: string;
  /** Option 119 (RFC 3397). */
  searchDomains?: string[];
  /** Option 42. */
  ntpServers?: string[];
  /** Option 26. */
  mtu?: number;
  /** Lease time (option 51); default 600 s. Clients asking for less get what they ask. */
  leaseTime?: number;
  /** Dynamic ranges, inclusive. A subnet without pools serves only reservations. */
  pools: PoolConfig[];
  /**
   * Failover split: the part of `pools` this server picks NEW addresses from (default: all of
   * `pools`). Other pool addresses are only confirmed to a client this server knows holds them, so
   * two servers with disjoint `allocate` ranges never hand out one address twice.
   */
  allocate?: PoolConfig[];
  /**
   * Failover secondary while its primary is believed alive: leave clients to the primary, except
   * renewals (and releases) of leases this server granted itself, rebinding clients whose lease it
   * knows, and clients the primary evidently is not answering (`takeoverSecs`; standby.ts).
   */
  standby?: boolean;
  reservations?: ReservationConfig[];
  /** siaddr: the boot (TFTP/HTTP) server; default `serverAddress`. */
  nextServer?: string;
  boot?: BootConfig;
}

export interface RateLimitConfig {
  /** Requests a single MAC may send back to back. */
  burst: number;
  /** Sustained requests per second per MAC. */
  perSecond: number;
}

export interface DhcpConfig {
  /** Failover role (default primary). A secondary stays silent until told the primary is gone. */
  role?: 'primary' | 'secondary';
  subnets: SubnetConfig[];
  /** How long an OFFER holds its address for the client (default 30 s). */
  offerHoldSeconds?: number;
  /** How long a DECLINEd address stays out of use (default 600 s). */
  declineHoldSeconds?: number;
  /** Per-client (MAC) token bucket; default burst 20, 10/s. */
  rateLimit?: RateLimitConfig;
  /**
   * A standby subnet answers a client once its `secs` field reaches this, or once this server has
   * seen it trying for this many seconds without selecting another server (default 8; standby.ts).
   */
  takeoverSecs?: number;
  /**
   * Failover MCLT (maximum client lead time, draft-ietf-dhc-failover-12): on a subnet with a
   * failover split (`allocate`), an address whose lease — granted here or learned from the peer —
   * ended (expired, released, or left for another address) less than this long ago is not given to
   * another client: the peer may have extended it meanwhile without this server hearing of it.
   * Default 3600 s, the value of ISC dhcpd.conf(5)'s failover example (`mclt 3600`) and of Windows.
   */
  mcltSecs?: number;
}

export class DhcpConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid DHCP configuration: ${problems.join('; ')}`);
  }
}

export interface Reservation { ip: string; hostname?: string; mac: string }

/** A subnet ready for serving: numbers, maps, and the defaults filled in. */
export interface Subnet {
  config: SubnetConfig;
  key: string;
  cidr: Cidr;
  mask: string;
  broadcast: string;
  serverAddress: string;
  nextServer: string;
  attached: boolean;
  leaseTime: number;
  /** Inclusive [start, end] ranges as numbers, within the host range, sorted. */
  pools: Array<readonly [number, number]>;
  /** The part of `pools` new addresses come from (all of it unless `allocate` narrows it). */
  allocPools: Array<readonly [number, number]>;
  standby: boolean;
  /** How long an ended lease keeps its address from other clients (`mcltSecs`; 0 without a failover split). */
  mcltMs: number;
  reservationsByMac: Map<string, Reservation>;
  reservedIps: Map<string, string>;
  /** Addresses never handed out from pools (server, router, next-server, DNS/NTP on the subnet). */
  excluded: Set<number>;
  boot: CompiledBoot;
  /** Encoded network options (1, 3, 6, 15, 26, 28, 42, 119) by code. */
  options: Map<number, Buffer>;
}

export interface CompiledConfig {
  role: 'primary' | 'secondary';
  subnets: Subnet[];
  offerHoldMs: number;
  declineHoldMs: number;
  rateLimit: RateLimitConfig;
  takeoverSecs: number;
}

export const DEFAULT_LEASE_TIME = 600;
export const DEFAULT_MCLT_SECS = 3600;

function checkIp(problems: string[], where: string, ip: string | undefined): number | null {
  if (ip === undefined) return null;
  const n = typeof ip === 'string' ? parseIp(ip) : null;
  if (n === null) problems.push(`${where}: "${String(ip)}" is not an IPv4 address`);
  return n;
}

function compileSubnet(sc: SubnetConfig, problems: string[], mcltSecs: number): Subnet | null {
  const where = `subnet ${sc.cidr}`;
  const cidr = typeof sc.cidr === 'string' ? parseCidr(sc.cidr) : null;
  if (!cidr) { problems.push(`${where}: cidr must be a network in a.b.c.d/len form`); return null; }
  const server = checkIp(problems, `${where} serverAddress`, sc.serverAddress);
  if (server === null) return null;
  const inside = (label: string, ip: string | undefined): number | null => {
    const n = checkIp(problems, `${where} ${label}`, ip);
    if (n !== null && !cidrContains(cidr, n)) problems.push(`${where} ${label}: ${ip} is outside the subnet`);
    return n;
  };
  const excluded = new Set<number>([server]);
  for (const [label, ip] of [['router', sc.router], ['nextServer', sc.nextServer]] as const) {
    const n = checkIp(problems, `${where} ${label}`, ip);
    if (n !== null) excluded.add(n);
  }
  for (const ip of [...(sc.dnsServers ?? []), ...(sc.ntpServers ?? [])]) {
    const n = checkIp(problems, `${where} dns/ntp`, ip);
    if (n !== null && cidrContains(cidr, n)) excluded.add(n);
  }
  const leaseTime = sc.leaseTime ?? DEFAULT_LEASE_TIME;
  if (!Number.isInteger(leaseTime) || leaseTime < 1) problems.push(`${where}: leaseTime must be a positive integer`);
  if (sc.mtu !== undefined && (!Number.isInteger(sc.mtu) || sc.mtu < 68 || sc.mtu > 65535)) problems.push(`${where}: mtu must be 68..65535`);
  const hostLow = cidr.prefix >= 31 ? cidr.network : cidr.network + 1;
  const hostHigh = cidr.prefix >= 31 ? cidr.broadcast : cidr.broadcast - 1;
  const pools: Array<readonly [number, number]> = [];
  if (!Array.isArray(sc.pools)) problems.push(`${where}: pools must be a list`);
  for (const pool of sc.pools ?? []) {
    const start = inside('pool start', pool.start);
    const end = inside('pool end', pool.end);
    if (start === null || end === null) continue;
    if (start > end) { problems.push(`${where}: pool ${pool.start}-${pool.end} is reversed`); continue; }
    if (Math.max(start, hostLow) <= Math.min(end, hostHigh)) pools.push([Math.max(start, hostLow), Math.min(end, hostHigh)]);
  }
  pools.sort((a, b) => a[0] - b[0]);
  let allocPools = pools;
  if (sc.allocate !== undefined) {
    if (!Array.isArray(sc.allocate)) problems.push(`${where}: allocate must be a list`);
    allocPools = [];
    for (const a of Array.isArray(sc.allocate) ? sc.allocate : []) {
      const start = inside('allocate start', a.start);
      const end = inside('allocate end', a.end);
      if (start === null || end === null) continue;
      // Only the overlap with the pools: `allocate` narrows, it never adds addresses.
      for (const [lo, hi] of pools) if (Math.max(start, lo) <= Math.min(end, hi)) allocPools.push([Math.max(start, lo), Math.min(end, hi)]);
    }
    allocPools.sort((a, b) => a[0] - b[0]);
  }
  const reservationsByMac = new Map<string, Reservation>();
  const reservedIps = new Map<string, string>();
  for (const r of sc.reservations ?? []) {
    const mac = typeof r.mac === 'string' ? normalizeMac(r.mac) : null;
    const ipNum = inside('reservation', r.ip);
    if (mac === null) { problems.push(`${where}: reservation MAC "${String(r.mac)}" is not a MAC address`); continue; }
    if (ipNum === null) continue;
    const ip = intToIp(ipNum);
    if (reservationsByMac.has(mac)) problems.push(`${where}: MAC ${mac} is reserved twice`);
    if (reservedIps.has(ip)) problems.push(`${where}: ${ip} is reserved twice`);
    reservationsByMac.set(mac, { ip, mac, hostname: r.hostname });
    reservedIps.set(ip, mac);
  }
  const nextServer = sc.nextServer ?? sc.serverAddress;
  let boot: CompiledBoot;
  let options: Map<number, Buffer>;
  try {
    boot = compileBoot(sc.boot, nextServer);
  } catch (err) {
    problems.push(`${where} boot: ${(err as Error).message}`);
    return null;
  }
  for (const list of ['dnsServers', 'ntpServers', 'searchDomains'] as const) {
    if (sc[list] !== undefined && !Array.isArray(sc[list])) { problems.push(`${where}: ${list} must be a list`); return null; }
  }
  try {
    options = encodeNetworkOptions({ ...sc, mask: intToIp(cidr.mask), broadcast: intToIp(cidr.broadcast) });
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
    return null;
  }
  return {
    config: sc,
    key: sc.cidr,
    cidr,
    mask: intToIp(cidr.mask),
    broadcast: intToIp(cidr.broadcast),
    serverAddress: sc.serverAddress,
    nextServer,
    attached: sc.attached ?? cidrContains(cidr, server),
    leaseTime,
    pools,
    allocPools,
    standby: sc.standby === true,
    mcltMs: sc.allocate !== undefined ? mcltSecs * 1000 : 0,
    reservationsByMac,
    reservedIps,
    excluded,
    boot,
    options,
  };
}

function positive(problems: string[], name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) problems.push(`${name} must be a positive number`);
  return value;
}

/** Validates and compiles; throws DhcpConfigError listing every problem found. */
export function compileConfig(cfg: DhcpConfig): CompiledConfig {
  const problems: string[] = [];
  if (cfg.role !== undefined && cfg.role !== 'primary' && cfg.role !== 'secondary') problems.push('role must be "primary" or "secondary"');
  if (!Array.isArray(cfg.subnets)) throw new DhcpConfigError(['subnets must be a list']);
  const subnets: Subnet[] = [];
  const mcltSecs = positive(problems, 'mcltSecs', cfg.mcltSecs, DEFAULT_MCLT_SECS);
  for (const sc of cfg.subnets) {
    const compiled = compileSubnet(sc, problems, mcltSecs);
    if (!compiled) continue;
    for (const other of subnets) {
      if (cidrContains(other.cidr, compiled.cidr.network) || cidrContains(compiled.cidr, other.cidr.network)) {
        problems.push(`subnets ${other.key} and ${compiled.key} overlap`);
      }
    }
    subnets.push(compiled);
  }
  const rateLimit = cfg.rateLimit ?? { burst: 20, perSecond: 10 };
  positive(problems, 'rateLimit.burst', rateLimit.burst, 1);
  positive(problems, 'rateLimit.perSecond', rateLimit.perSecond, 1);
  const offerHold = positive(problems, 'offerHoldSeconds', cfg.offerHoldSeconds, 30);
  const declineHold = positive(problems, 'declineHoldSeconds', cfg.declineHoldSeconds, 600);
  const takeoverSecs = positive(problems, 'takeoverSecs', cfg.takeoverSecs, DEFAULT_TAKEOVER_SECS);
  if (problems.length > 0) throw new DhcpConfigError(problems);
  return {
    role: cfg.role ?? 'primary',
    subnets,
    offerHoldMs: offerHold * 1000,
    declineHoldMs: declineHold * 1000,
    rateLimit,
    takeoverSecs,
  };
}

/** The served subnet containing ip, if any. */
export function subnetFor(cfg: CompiledConfig, ip: string): Subnet | undefined {
  const n = parseIp(ip);
  if (n === null) return undefined;
  return cfg.subnets.find((s) => cidrContains(s.cidr, n));
}
