/**
 * Asking the backend for a boot configuration: builds the BootConfigRequest from the parsed path,
 * the query and the connection, and bounds the call by `backendTimeoutMs` and the client's
 * presence (the AbortSignal fires on either).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BootFileRequest } from '../../../domain/boot/index.ts';
import type { BootConfigRequest, HttpBootOptions } from './types.ts';

export class BackendFailure extends Error {}
/** The client closed the connection while the backend was still working. */
export class ClientGone extends Error {}

/** The address without the IPv4-mapped IPv6 prefix. */
export const plainIp = (ip: string | undefined) => (ip ?? '').replace(/^::ffff:(?=\d+\.)/, '');

function queryParams(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) if (!(k in out)) out[k] = v;
  return out;
}

export function buildRequest(req: IncomingMessage, p: { path: string; file: BootFileRequest; query: string }): BootConfigRequest {
  const query = queryParams(p.query);
  const request: BootConfigRequest = {
    path: p.path,
    file: p.file,
    remoteIp: plainIp(req.socket.remoteAddress),
    localIp: plainIp(req.socket.localAddress),
    localPort: req.socket.localPort ?? 0,
    query,
  };
  if (p.file.kind === 'mac') request.mac = p.file.mac;
  if (p.file.kind === 'default') {
    if (p.file.arch) request.arch = p.file.arch;
    if (p.file.subarch) request.subarch = p.file.subarch;
  }
  // iPXE's ${platform}: pcbios or efi.
  if (query.platform === 'pcbios') request.firmware = 'bios';
  if (query.platform === 'efi') request.firmware = 'uefi';
  return request;
}

export async function askBackend(
  opts: HttpBootOptions, req: IncomingMessage, res: ServerResponse,
  p: { path: string; file: BootFileRequest; query: string },
): Promise<string | null> {
  const request = buildRequest(req, p);
  const controller = new AbortController();
  const timeoutMs = opts.backendTimeoutMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  let gone = () => {};
  const limit = new Promise<never>((_, reject) => {
    gone = () => {
      const err = new ClientGone('the client went away');
      controller.abort(err);
      reject(err);
    };
    res.once('close', gone);
    timer = setTimeout(() => {
      const err = new BackendFailure(`the backend did not answer within ${timeoutMs} ms`);
      controller.abort(err);
      reject(err);
    }, timeoutMs);
  });
  try {
    const answer = await Promise.race([Promise.resolve().then(() => opts.backend.bootConfig(request, controller.signal)), limit]);
    if (answer !== null && typeof answer !== 'string') throw new BackendFailure('the backend answered something other than text or null');
    return answer;
  } catch (err) {
    throw err instanceof BackendFailure || err instanceof ClientGone ? err : new BackendFailure(`backend error: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    res.off('close', gone);
  }
}
