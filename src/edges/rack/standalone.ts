/**
 * Shared shell of the rack's standalone server processes (`dhcp/standalone.ts`, `http/standalone.ts`):
 * read a JSON settings file named on the command line, start the server, print JSON lines
 * (`{"ready":…}`, `{"event":…}`, `{"error":…}`), re-read the file on SIGHUP, close and print
 * `{"stats":…}` on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';

export function jsonLine(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

export interface StandaloneServer<S> {
  bound: unknown;
  reload(settings: S): void;
  close(): Promise<void>;
  stats(): unknown;
}

export function runStandalone<S>(start: (settings: S) => Promise<StandaloneServer<S>>): void {
  const main = async () => {
    const file = process.argv[2];
    if (!file) throw new Error('usage: standalone.ts <settings.json>');
    const read = (): S => JSON.parse(readFileSync(file, 'utf8')) as S;
    const server = await start(read());
    process.on('SIGHUP', () => {
      try {
        server.reload(read());
        jsonLine({ reloaded: true });
      } catch (err) {
        jsonLine({ error: (err as Error).message });
      }
    });
    const stop = (): void => {
      void server.close().then(() => {
        jsonLine({ stats: server.stats() });
        process.exit(0);
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    jsonLine({ ready: server.bound });
  };
  main().catch((err: Error) => {
    jsonLine({ error: err.message });
    process.exit(1);
  });
}
