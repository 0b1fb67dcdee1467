/**
 * Runs one DhcpServer as its own process — how the tests and the benchmark start it inside a
 * network namespace (`ip netns exec NS node --import tsx standalone.ts settings.json`), and a way
 * for a rack to keep DHCP in a separate, privileged process.
 *
 * settings.json: `{ "config": DhcpConfig, "listen"?: ListenOptions, "leaseFile"?: string }`.
 * Writes JSON lines to stdout: `{"ready":{address,port}}`, then `{"event":LeaseEvent}` per lease
 * event, `{"takeover":StandbyTakeover}` per standby takeover and `{"error":message}` per error. SIGHUP re-reads the file and applies its config;
 * SIGTERM/SIGINT close the server and print `{"stats":DhcpStats}`.
 */
import { runStandalone, jsonLine as line } from '../standalone.ts';
import { DhcpServer, type ListenOptions } from './server.ts';
import type { DhcpConfig } from './config.ts';
import { FileLeaseStore } from './lease-file-store.ts';
import { MemoryLeaseStore, type LeaseStore } from './lease-store.ts';

interface Settings { config: DhcpConfig; listen?: ListenOptions; leaseFile?: string }

runStandalone<Settings>(async (settings) => {
  const store: LeaseStore = settings.leaseFile ? await FileLeaseStore.open(settings.leaseFile) : new MemoryLeaseStore();
  const server = new DhcpServer({
    config: settings.config,
    store,
    onEvent: (event) => line({ event }),
    onError: (err) => line({ error: err.message }),
  });
  server.onTakeover((takeover) => line({ takeover }));
  return {
    bound: await server.listen(settings.listen),
    reload: (next) => server.updateConfig(next.config),
    close: async () => { await server.close(); await store.close(); },
    stats: () => server.stats,
  };
});
