/**
 * OAuth 1.0a PLAINTEXT, as MAAS's maas_api_helper signs metadata requests: the signature is
 * `consumer_secret&token_secret` (percent-encoded), with a fresh nonce and timestamp each request.
 */
import { randomBytes } from 'node:crypto';
import type { AgentConfig } from './config.ts';

const pct = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export function authorization(c: AgentConfig, now = Date.now()): string {
  const params: Array<[string, string]> = [
    ['oauth_version', '1.0'],
    ['oauth_signature_method', 'PLAINTEXT'],
    ['oauth_consumer_key', c.consumer_key],
    ['oauth_token', c.token_key],
    ['oauth_signature', `${pct(c.consumer_secret)}&${pct(c.token_secret)}`],
    ['oauth_nonce', randomBytes(16).toString('hex')],
    ['oauth_timestamp', String(Math.floor(now / 1000))],
  ];
  return `OAuth realm="", ${params.map(([k, v]) => `${k}="${pct(v)}"`).join(', ')}`;
}
