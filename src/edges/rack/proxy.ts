/**
 * Forwards requests that arrive at the rack's HTTP port under `/MAAS/` to the region, as MAAS's
 * rack does: machines only need to reach their rack. The Host header is kept, so the metadata
 * service builds URLs that point back at the rack; X-Forwarded-For carries the machine's address.
 * Bodies stream both ways; a region that cannot be reached gives 502 with a plain message.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export function regionProxy(regionUrl: string, opts: { timeoutMs?: number } = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const base = new URL(regionUrl);
  const send = base.protocol === 'https:' ? httpsRequest : httpRequest;
  return (req, res) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const from = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '';
    headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${from}` : from;
    const upstream = send({
      protocol: base.protocol, hostname: base.hostname, port: base.port || (base.protocol === 'https:' ? 443 : 80),
      method: req.method, path: req.url, headers, timeout: opts.timeoutMs ?? 60_000,
    }, (up) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res);
    });
    const fail = (message: string) => {
      if (res.headersSent) { res.destroy(); return; }
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`The region is not reachable from this rack right now (${message}).\n`);
    };
    upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.on('error', (err) => fail(err.message));
    req.pipe(upstream);
  };
}
