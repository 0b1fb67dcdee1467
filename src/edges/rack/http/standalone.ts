/**
 * Runs one HttpBootServer with a StaticBootBackend as its own process — how the tests start it
 * inside a network namespace (`ip netns exec NS node --import tsx standalone.ts settings.json`) and
 * how the benchmark runs it apart from its clients.
 *
 * settings.json: `{ "imagesRoot": DIR, "table": StaticBootTable, "listen"?: {port, host},
 * "bootloaders"?: {name: path}, "idleTimeoutMs"?, "backendTimeoutMs"?, "chunkBytes"?, "events"?: boolean }`.
 * Writes JSON lines to stdout: `{"ready":{address,port}}`, then `{"event":HttpBootEvent}` per
 * request (unless `"events": false`). SIGHUP re-reads the file and applies its table;
 * SIGTERM/SIGINT close the server and print `{"stats":HttpBootStats}`.
 */
import { readFileSync } from 'node:fs';
import { HttpBootServer, type HttpListenOptions } from './server.ts';
import { StaticBootBackend, type StaticBootTable } from './static-backend.ts';

interface Settings {
  imagesRoot: string;
  table: StaticBootTable;
  listen?: HttpListenOptions;
  bootloaders?: Record<string, string>;
  idleTimeoutMs?: number;
  backendTimeoutMs?: number;
  chunkBytes?: number;
  events?: boolean;
}

function line(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: standalone.ts <settings.json>');
  const read = (): Settings => JSON.parse(readFileSync(file, 'utf8')) as Settings;
  const settings = read();
  const backend = new StaticBootBackend(settings.table);
  const server = new HttpBootServer({
    backend,
    imagesRoot: settings.imagesRoot,
    bootloaders: settings.bootloaders,
    idleTimeoutMs: settings.idleTimeoutMs,
    backendTimeoutMs: settings.backendTimeoutMs,
    chunkBytes: settings.chunkBytes,
    onEvent: settings.events === false ? undefined : (event) => line({ event }),
  });
  const bound = await server.listen(settings.listen);
  process.on('SIGHUP', () => {
    try {
      backend.update(read().table);
      line({ reloaded: true });
    } catch (err) {
      line({ error: (err as Error).message });
    }
  });
  const stop = (): void => {
    void server.close().then(() => {
      line({ stats: server.stats });
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  line({ ready: bound });
}

main().catch((err: Error) => {
  line({ error: err.message });
  process.exit(1);
});
