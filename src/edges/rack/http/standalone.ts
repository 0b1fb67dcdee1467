/**
 * Runs one HttpBootServer with a StaticBootBackend as its own process — how the tests start it
 * inside a network namespace (`ip netns exec NS node --import tsx standalone.ts settings.json`) and
 * how the benchmark runs it apart from its clients.
 *
 * settings.json: `{ "imagesRoot": DIR, "table": StaticBootTable, "listen"?: {port, host},
 * "bootloaders"?: {name: path}, "idleTimeoutMs"?, "backendTimeoutMs"?, "chunkBytes"?, "chunkCacheBytes"?,
 * "events"?: boolean }`.
 * Writes JSON lines to stdout: `{"ready":{address,port}}`, then `{"event":HttpBootEvent}` per
 * request (unless `"events": false`). SIGHUP re-reads the file and applies its table;
 * SIGTERM/SIGINT close the server and print `{"stats":HttpBootStats}`.
 */
import { runStandalone, jsonLine as line } from '../standalone.ts';
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
  chunkCacheBytes?: number;
  events?: boolean;
}

runStandalone<Settings>(async (settings) => {
  const backend = new StaticBootBackend(settings.table);
  const server = new HttpBootServer({
    backend,
    imagesRoot: settings.imagesRoot,
    bootloaders: settings.bootloaders,
    idleTimeoutMs: settings.idleTimeoutMs,
    backendTimeoutMs: settings.backendTimeoutMs,
    chunkBytes: settings.chunkBytes,
    chunkCacheBytes: settings.chunkCacheBytes,
    onEvent: settings.events === false ? undefined : (event) => line({ event }),
  });
  return {
    bound: await server.listen(settings.listen),
    reload: (next) => backend.update(next.table),
    close: () => server.close(),
    stats: () => server.stats,
  };
});
