/**
 * Runs one DhcpServer as its own process — how the tests and the benchmark start it inside a
 * network namespace (`ip netns exec NS node --import tsx standalone.ts settings.json`), and a way
 * for a rack to keep DHCP in a separate, privileged process.
 *
 * settings.json: `{ "config": DhcpConfig, "listen"?: ListenOptions, "leaseFile"?: string }`.
 * Writes JSON lines to stdout: `{"ready":{address,port}}`, then `{"event":LeaseEvent}` per lease
 * event and `{"error":message}` per error. SIGHUP re-reads the file and applies its config;
 * SIGTERM/SIGINT close the server and print `{"stats":DhcpStats}`.
 */
import { readFileSync } from 'node:fs';
import { DhcpServer, type ListenOptions } from './server.ts';
import type { DhcpConfig } from './config.ts';
import { FileLeaseStore } from './lease-file-store.ts';
import { MemoryLeaseStore, type LeaseStore } from './lease-store.ts';

interface Settings { config: DhcpConfig; listen?: ListenOptions; leaseFile?: string }

function line(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: standalone.ts <settings.json>');
  const read = (): Settings => JSON.parse(readFileSync(file, 'utf8')) as Settings;
  const settings = read();
  const store: LeaseStore = settings.leaseFile ? await FileLeaseStore.open(settings.leaseFile) : new MemoryLeaseStore();
  const server = new DhcpServer({
    config: settings.config,
    store,
    onEvent: (event) => line({ event }),
    onError: (err) => line({ error: err.message }),
  });
  const bound = await server.listen(settings.listen);
  process.on('SIGHUP', () => {
    try {
      server.updateConfig(read().config);
      line({ reloaded: true });
    } catch (err) {
      line({ error: (err as Error).message });
    }
  });
  const stop = (): void => {
    void (async () => {
      await server.close();
      await store.close();
      line({ stats: server.stats });
      process.exit(0);
    })();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  line({ ready: bound });
}

main().catch((err: Error) => {
  line({ error: err.message });
  process.exit(1);
});
