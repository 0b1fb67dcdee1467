/**
 * Test harness: a TftpServer on 127.0.0.1 at a random port, serving a temporary directory, with
 * every event recorded. `close()` stops the server and removes the directory.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { directoryBackend } from '../../src/edges/rack/tftp/backend.ts';
import type { RequestRejection, TransferEnd, TransferFailure, TransferInfo } from '../../src/edges/rack/tftp/events.ts';
import { TftpServer, type TftpServerOptions } from '../../src/edges/rack/tftp/server.ts';

export interface Harness {
  server: TftpServer;
  port: number;
  dir: string;
  started: TransferInfo[];
  ended: TransferEnd[];
  failed: TransferFailure[];
  rejected: RequestRejection[];
  close(): Promise<void>;
}

export async function startServer(files: Record<string, Buffer | string> = {}, options: Partial<TftpServerOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'plinth-tftp-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  const server = new TftpServer({ backend: directoryBackend(dir), ...options });
  const h: Harness = {
    server, dir, port: 0, started: [], ended: [], failed: [], rejected: [],
    close: async () => { await server.close(); await rm(dir, { recursive: true, force: true }); },
  };
  server.on('transferStart', (e) => h.started.push(e));
  server.on('transferEnd', (e) => h.ended.push(e));
  server.on('transferError', (e) => h.failed.push(e));
  server.on('requestRejected', (e) => h.rejected.push(e));
  h.port = (await server.listen({ address: '127.0.0.1', port: 0 })).port;
  return h;
}

/** Polls `check` every 5 ms until it is true; throws after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Deterministic pseudo-random octets (xorshift32), so failures reproduce. */
export function pseudoRandom(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}
