/**
 * The rack's TFTP server (RFC 1350 with RFC 2347/2348/2349/7440 options), read-only, as a library:
 * hand it a backend that says what to serve for a path, listen, and subscribe to its events.
 *
 *   const server = new TftpServer({ backend: directoryBackend('/var/lib/plinth/boot') });
 *   server.on('transferEnd', (t) => log.info(t, 'tftp transfer done'));
 *   await server.listen({ address: '10.0.0.1', port: 69 });
 */
export { TftpServer, type ListenOptions, type TftpServerOptions } from './server.ts';
export { directoryBackend, normalizeRequestPath, type BufferedFile, type Remote, type Resolved, type StreamedFile, type TftpBackend } from './backend.ts';
export type { RequestRejection, TftpServerEvents, TftpStats, TransferEnd, TransferFailure, TransferInfo } from './events.ts';
export type { FailureReason } from './transfer.ts';
export * from './packet.ts';
export { DEFAULT_MAX_BLOCK_SIZE_V4, DEFAULT_MAX_BLOCK_SIZE_V6, DEFAULT_MAX_WINDOW_SIZE, MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } from './options.ts';
