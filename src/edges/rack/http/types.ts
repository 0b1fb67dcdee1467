/** The HTTP boot server's interface with its caller: the backend it asks, options, events, stats. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BootFileRequest, Firmware } from '../../../domain/boot/index.ts';

/** A request for a boot configuration file (ipxe.cfg…, grub/grub.cfg…, pxelinux.cfg/…). */
export interface BootConfigRequest {
  /** The decoded request path without the leading slash, e.g. `ipxe.cfg-52:54:00:12:34:56`. */
  path: string;
  /** What the path asks for (domain/boot/paths.ts). */
  file: BootFileRequest;
  /** The MAC in the path (lower-case, colons), when it names one. */
  mac?: string;
  /** Debian architecture / subarchitecture named by a default-config path. */
  arch?: string;
  subarch?: string;
  /** From `?platform=pcbios|efi`, which Plinth's iPXE pre-loader adds. */
  firmware?: Firmware;
  /** The client's address and the server address it connected to (which rack interface). */
  remoteIp: string;
  localIp: string;
  localPort: number;
  /** The query string's parameters (first value of each). */
  query: Record<string, string>;
}

export interface HttpBootBackend {
  /**
   * The configuration text for a request, or null when there is none (answered 404, so iPXE's
   * `chain … || chain …` and GRUB's next `configfile` fall back to the default). `signal` aborts
   * when the request times out or the client goes away.
   */
  bootConfig(request: BootConfigRequest, signal: AbortSignal): Promise<string | null> | string | null;
}

export interface HttpBootOptions {
  backend: HttpBootBackend;
  /** Directory served under `/images/` (only complete images: see files.ts). */
  imagesRoot: string;
  /**
   * Bootloader binaries served at `/<name>`: name → absolute path. Default: `ipxe.efi`,
   * `snponly.efi` and `undionly.kpxe` from Debian's ipxe package in /usr/lib/ipxe.
   */
  bootloaders?: Record<string, string>;
  /** How long the backend may take for one configuration (default 5000 ms; then 503). */
  backendTimeoutMs?: number;
  /** A connection with no traffic for this long is closed, also mid-download (default 30000 ms). */
  idleTimeoutMs?: number;
  /** Limit for receiving a request's headers (default 10000 ms). */
  headersTimeoutMs?: number;
  /** Unit in which files are read and written to sockets (default 256 KiB; a download holds two). */
  chunkBytes?: number;
  /**
   * Memory for chunks shared between concurrent downloads of the same file (chunk-cache.ts).
   * Default 64 MiB; 0 disables sharing.
   */
  chunkCacheBytes?: number;
  onEvent?: (event: HttpBootEvent) => void;
  /**
   * Requests under `prefix` (any method) are handed to `handle` instead: the rack forwards
   * `/MAAS/` (metadata service, API) to its region, as MAAS's rack does on port 5248.
   */
  upstream?: { prefix: string; handle(req: IncomingMessage, res: ServerResponse): void };
}

export type RequestKind = 'config' | 'image' | 'bootloader' | 'other';

/** One per request, when its response has ended (or the connection died). */
export interface HttpBootEvent {
  type: 'request';
  at: number;
  method: string;
  /** Raw request target, as sent. */
  url: string;
  kind: RequestKind;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  durationMs: number;
  remoteIp: string;
  /** For 206 responses. */
  range?: { start: number; end: number };
  /** For configuration requests that name a MAC. */
  mac?: string;
  /** True when the connection closed before the response was complete. */
  aborted: boolean;
  /** Why a request failed on our side (backend error, timeout, read error). */
  error?: string;
}

export interface HttpBootStats {
  requests: number;
  active: number;
  bytesSent: number;
  configs: number;
  files: number;
  notFound: number;
  refused: number;
  aborted: number;
  backendErrors: number;
  byStatus: Record<string, number>;
}

export const DEFAULT_BOOTLOADERS: Record<string, string> = {
  'ipxe.efi': '/usr/lib/ipxe/ipxe.efi',
  'snponly.efi': '/usr/lib/ipxe/snponly.efi',
  'undionly.kpxe': '/usr/lib/ipxe/undionly.kpxe',
};
