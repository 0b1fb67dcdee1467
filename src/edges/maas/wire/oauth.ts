/**
 * OAuth 1.0a (RFC 5849) as MAAS uses it: the API key `consumer_key:token_key:token_secret` with an
 * empty consumer secret, PLAINTEXT signatures from the python clients and gomaasapi, HMAC-SHA1 from
 * some Go clients. Server-side parsing and verification, and client-side signing for Plinth's own
 * tools and tests.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WireFormatError } from './errors.ts';
import { oauthEncode as enc, parseFormBytes, percentDecodeLenient } from './percent.ts';

export interface OAuthParams {
  consumerKey: string; token: string; signature: string; signatureMethod: string;
  timestamp: string; nonce: string; version?: string; realm?: string;
}

/**
 * Parses an `Authorization: OAuth ...` header (RFC 5849 3.5.1) into its parameters; null when the
 * header is absent or of another scheme. The scheme is case-insensitive; pairs are separated by
 * commas with any spacing; values may be quoted or bare; every value is percent-decoded (leniently:
 * a stray `%` is kept, `+` is not a space). `realm` is kept under that name. Later duplicates win.
 */
export function parseAuthorizationHeader(header: string | undefined): Record<string, string> | null {
  if (header === undefined) return null;
  const m = /^\s*oauth(?:\s+|$)/i.exec(header);
  if (!m) return null;
  const s = header.slice(m[0].length);
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /[\s,]/.test(s[i])) i++;
    if (i >= s.length) break;
    let j = i;
    while (j < s.length && s[j] !== '=' && s[j] !== ',') j++;
    const key = s.slice(i, j).trim();
    let value = '';
    if (s[j] === '=') {
      j++;
      while (j < s.length && (s[j] === ' ' || s[j] === '\t')) j++;
      if (s[j] === '"') {
        j++;
        while (j < s.length && s[j] !== '"') {
          if (s[j] === '\\' && j + 1 < s.length) j++;
          value += s[j++];
        }
        j++; // the closing quote (an unterminated value runs to the end)
        while (j < s.length && s[j] !== ',') j++;
      } else {
        const end = s.indexOf(',', j);
        value = s.slice(j, end < 0 ? s.length : end).trim();
        j = end < 0 ? s.length : end;
      }
    }
    if (key) out[percentDecodeLenient(key)] = percentDecodeLenient(value);
    i = j;
  }
  return out;
}

const REQUIRED = ['oauth_consumer_key', 'oauth_token', 'oauth_signature', 'oauth_signature_method', 'oauth_timestamp', 'oauth_nonce'] as const;

/** The OAuth parameters, or null unless all six required `oauth_*` parameters are present. */
export function extractOAuthParams(raw: Record<string, string>): OAuthParams | null {
  for (const k of REQUIRED) if (typeof raw[k] !== 'string') return null;
  const p: OAuthParams = {
    consumerKey: raw.oauth_consumer_key, token: raw.oauth_token, signature: raw.oauth_signature,
    signatureMethod: raw.oauth_signature_method, timestamp: raw.oauth_timestamp, nonce: raw.oauth_nonce,
  };
  if (typeof raw.oauth_version === 'string') p.version = raw.oauth_version;
  if (typeof raw.realm === 'string') p.realm = raw.realm;
  return p;
}

/** RFC 5849 3.4.1.2: scheme and host lower-case, default port dropped, path kept, no query/fragment. */
export function baseStringUri(url: string): { uri: string; query: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(url.trim());
  if (!m) throw new WireFormatError(`not an absolute URL: ${JSON.stringify(url)}`);
  const scheme = m[1].toLowerCase();
  const authority = m[2].slice(m[2].lastIndexOf('@') + 1);
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  if (!hp || hp[1] === '') throw new WireFormatError(`URL has no valid host: ${JSON.stringify(url)}`);
  const host = hp[1].toLowerCase();
  const port = hp[2] ?? '';
  const defaultPort = (scheme === 'http' && port === '80') || (scheme === 'https' && port === '443');
  const hostPort = port === '' || defaultPort ? host : `${host}:${port}`;
  return { uri: `${scheme}://${hostPort}${m[3] || '/'}`, query: m[4] ?? '' };
}

/**
 * RFC 5849 3.4.1: the signature base string. Parameters are the URL's query, the urlencoded body
 * and the OAuth parameters (without `realm` and `oauth_signature`); OAuth parameters that already
 * arrived in the query or body (3.5.2, 3.5.3) are not counted twice.
 */
export function signatureBaseString(method: string, url: string, bodyParams: Array<[string, string]>, oauth: Record<string, string>): string {
  const { uri, query } = baseStringUri(url);
  const carried = [...parseFormBytes(Buffer.from(query, 'utf8')), ...bodyParams];
  const seen = new Set(carried.map(([k, v]) => `${k}\u0000${v}`));
  const params = carried.filter(([k]) => k !== 'oauth_signature');
  for (const [k, v] of Object.entries(oauth)) {
    if (k === 'realm' || k === 'oauth_signature' || seen.has(`${k}\u0000${v}`)) continue;
    params.push([k, v]);
  }
  const encoded = params.map(([k, v]) => [enc(k), enc(v)] as const);
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const normalized = encoded.map(([k, v]) => `${k}=${v}`).join('&');
  return `${method.toUpperCase()}&${enc(uri)}&${enc(normalized)}`;
}

const signingKey = (consumerSecret: string, tokenSecret: string) => `${enc(consumerSecret)}&${enc(tokenSecret)}`;

function hmacSha1(key: string, text: string): string {
  return createHmac('sha1', key).update(text, 'utf8').digest('base64');
}

/** Constant-time string equality: both sides are hashed first so lengths leak nothing either. */
function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb) && a === b;
}

/**
 * Verifies an OAuth 1.0a signature. PLAINTEXT (3.4.4): the decoded signature must equal
 * `enc(consumerSecret)&enc(tokenSecret)`. HMAC-SHA1 (3.4.2): base64 HMAC-SHA1 of the base string
 * keyed with the same string. Any other method, or a URL that cannot be read, gives false.
 */
export function verifySignature(args: {
  method: string; url: string; bodyParams: Array<[string, string]>; oauth: Record<string, string>;
  consumerSecret: string; tokenSecret: string;
}): boolean {
  const given = args.oauth.oauth_signature;
  if (typeof given !== 'string') return false;
  const key = signingKey(args.consumerSecret, args.tokenSecret);
  switch (args.oauth.oauth_signature_method) {
    case 'PLAINTEXT':
      return safeEqual(given, key);
    case 'HMAC-SHA1': {
      let base: string;
      try {
        base = signatureBaseString(args.method, args.url, args.bodyParams, args.oauth);
      } catch (err) {
        if (err instanceof WireFormatError) return false;
        throw err;
      }
      return safeEqual(given, hmacSha1(key, base));
    }
    default:
      return false;
  }
}

/**
 * Signs a request as a MAAS client does (consumer secret empty) and returns the Authorization
 * header value. PLAINTEXT unless `method_` says HMAC-SHA1; for HMAC-SHA1 the URL's query and the
 * urlencoded `bodyParams` are signed too. Timestamp defaults to now, nonce to 32 random hex digits.
 */
export function signRequest(args: {
  method: string; url: string; bodyParams?: Array<[string, string]>;
  consumerKey: string; token: string; tokenSecret: string; method_?: 'PLAINTEXT' | 'HMAC-SHA1';
  realm?: string; timestamp?: number; nonce?: string;
}): string {
  const signatureMethod = args.method_ ?? 'PLAINTEXT';
  const oauth: Record<string, string> = {
    oauth_consumer_key: args.consumerKey,
    oauth_token: args.token,
    oauth_signature_method: signatureMethod,
    oauth_timestamp: String(args.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_nonce: args.nonce ?? randomBytes(16).toString('hex'),
    oauth_version: '1.0',
  };
  const key = signingKey('', args.tokenSecret);
  oauth.oauth_signature = signatureMethod === 'PLAINTEXT'
    ? key
    : hmacSha1(key, signatureBaseString(args.method, args.url, args.bodyParams ?? [], oauth));
  const pairs = Object.entries(oauth).map(([k, v]) => `${k}="${enc(v)}"`);
  if (args.realm !== undefined) pairs.unshift(`realm="${enc(args.realm)}"`);
  return `OAuth ${pairs.join(', ')}`;
}

/** Splits an API key `consumer_key:token_key:token_secret`; null unless it has three non-empty parts. */
export function parseApiKey(key: string): { consumerKey: string; tokenKey: string; tokenSecret: string } | null {
  const parts = key.trim().split(':');
  if (parts.length !== 3 || parts.some((p) => p === '' || /\s/.test(p))) return null;
  return { consumerKey: parts[0], tokenKey: parts[1], tokenSecret: parts[2] };
}
