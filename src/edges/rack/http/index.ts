/**
 * The rack's HTTP boot server (port 5248), as a library.
 *
 *   const server = new HttpBootServer({ backend, imagesRoot, onEvent });
 *   await server.listen();              // 0.0.0.0:5248
 *   server.stats;                       // counters
 *   await server.close();
 *
 * Module map: server.ts (routing, events, stats, timeouts), config-request.ts (asking the
 * backend), files.ts (safe paths, complete images, bootloaders), send-file.ts (HEAD, ranges,
 * conditionals, streaming), conditional.ts (RFC 9110 range/precondition rules), types.ts
 * (backend interface, options, events), static-backend.ts (decisions from a table),
 * standalone.ts (a server process). Rendering lives in src/domain/boot. See docs/boot.md.
 */
export { HttpBootServer, type HttpListenOptions } from './server.ts';
export { StaticBootBackend, type StaticBootTable, type DecisionTemplate } from './static-backend.ts';
export { DEFAULT_BOOTLOADERS, type BootConfigRequest, type HttpBootBackend, type HttpBootEvent, type HttpBootOptions, type HttpBootStats, type RequestKind } from './types.ts';
export { parseRange, evaluatePreconditions, ifRangeAllows, type RangeResult } from './conditional.ts';
