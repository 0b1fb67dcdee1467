/**
 * The rack's DHCPv4 server, as a library.
 *
 *   const server = new DhcpServer({ config, store: await FileLeaseStore.open(path), onEvent });
 *   await server.listen();             // 0.0.0.0:67
 *   server.updateConfig(newConfig);    // leases kept
 *   await server.close();
 *
 * Module map: packet.ts (message codec), options-*.ts (one file per option family), request.ts
 * (reading a client request), config.ts (configuration), boot.ts (boot-file selection),
 * allocator.ts (address choice), lease-store.ts / lease-file-store.ts (leases), handler.ts
 * (RFC 2131 semantics), standby.ts (failover standby: per-client takeover), reply.ts (building
 * replies), rate-limit.ts, events.ts, server.ts (UDP loop, failover hook, reply routing and Node's
 * socket limitations), standalone.ts (a server process).
 */
export { DhcpServer, type DhcpServerOptions, type DhcpStats, type ListenOptions } from './server.ts';
export { compileConfig, DhcpConfigError, type DhcpConfig, type SubnetConfig, type PoolConfig, type ReservationConfig, type RateLimitConfig } from './config.ts';
export { type BootConfig, type BootFileConfig, defaultBootFiles } from './boot.ts';
export { type Lease, type LeaseState, type LeaseStore, MemoryLeaseStore } from './lease-store.ts';
export { FileLeaseStore, type FileLeaseStoreOptions } from './lease-file-store.ts';
export { type LeaseEvent, type LeaseEventType } from './events.ts';
export { DEFAULT_TAKEOVER_SECS, StandbyWatch, type StandbyTakeover, type StandbyWatchOptions, type TakeoverReason } from './standby.ts';
export { Arch } from './options-pxe.ts';
