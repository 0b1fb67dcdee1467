/**
 * A script's URL packages, as maas-run-remote-scripts handles them: each URL is downloaded into the
 * script's download directory (its working directory, $DOWNLOAD_PATH) under the name the URL ends in
 * (`index.html` when it ends in `/`, as wget names it); then a tar archive (compressed or not) or a zip
 * archive is unpacked there, a `.deb` is installed with `dpkg -i` and its dependencies with `apt-get
 * install -f`, and anything else stays as downloaded. A URL without a scheme is taken as http://.
 */
import { createWriteStream, openSync, readFileSync, readSync, closeSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { InstallLog } from './install-log.ts';
import { isZip, unzip } from './unzip.ts';

const MAX_REDIRECTS = 10;
/** A server that sends nothing for this long has failed the download. */
const IDLE_MS = 120_000;

export const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive' };

/** The URL as requested (http:// added when it has no scheme) and the file name it is saved under. */
export function urlTarget(raw: string): { url: URL; file: string } {
  const url = new URL(/^[a-z][a-z\d+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${raw}: only http and https URLs can be downloaded`);
  let file = url.pathname.split('/').pop() ?? '';
  try { file = decodeURIComponent(file); } catch { /* keep it encoded */ }
  if (!file || file === '.' || file === '..' || /[/\0]/.test(file)) file = 'index.html';
  return { url, file };
}

function fetchOnce(url: URL): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsGet : httpGet)(url, { headers: { 'User-Agent': 'plinth-agent' } }, resolve);
    req.setTimeout(IDLE_MS, () => req.destroy(new Error(`no data for ${IDLE_MS / 1000} s`)));
    req.on('error', reject);
  });
}

/** Downloads one URL into `dir`, following redirects; the path written. Throws with the reason. */
export async function download(raw: string, dir: string, log: InstallLog): Promise<string> {
  const { url, file } = urlTarget(raw);
  let at = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await fetchOnce(at);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      at = new URL(res.headers.location, at);
      log.note(`${at.href}: redirected (${status})`);
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      throw new Error(`${at.href}: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
    }
    const path = join(dir, file);
    res.setTimeout(IDLE_MS, () => res.destroy(new Error(`no data for ${IDLE_MS / 1000} s`)));
    await pipeline(res, createWriteStream(path));
    log.note(`Saved ${url.href} to ${path}`);
    return path;
  }
  throw new Error(`${url.href}: more than ${MAX_REDIRECTS} redirects`);
}

function head(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(512);
    return b.subarray(0, readSync(fd, b, 0, 512, 0));
  } finally {
    closeSync(fd);
  }
}

const USTAR = (h: Buffer) => h.length >= 262 && h.subarray(257, 262).toString('latin1') === 'ustar';
/** gzip, bzip2, xz, zstd: a tar archive maybe. */
const COMPRESSED = (h: Buffer) => (h[0] === 0x1f && h[1] === 0x8b) || h.subarray(0, 3).toString('latin1') === 'BZh'
  || h.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) || (h.length >= 4 && h.readUInt32LE(0) === 0xfd2fb528);

/** Handles a downloaded file (see the module comment); 0 on success, else an exit status. */
export async function unpack(path: string, dir: string, log: InstallLog): Promise<number> {
  const h = head(path);
  if (USTAR(h) || (COMPRESSED(h) && (await log.run('tar', ['-tf', path], { quiet: true })) === 0)) {
    return log.run('tar', ['-xf', path, '-C', dir, '--no-same-owner']);
  }
  if (isZip(h)) {
    try {
      log.note(`Unpacked ${path}: ${unzip(readFileSync(path), dir).join(', ')}`);
      return 0;
    } catch (e) {
      log.problem(`plinth-agent: cannot unpack ${path}: ${(e as Error).message}`);
      return 1;
    }
  }
  if (path.endsWith('.deb')) {
    // dpkg may fail only for want of dependencies; apt-get -f installs them (or fails for real).
    await log.run('dpkg', ['-i', path], { env: APT_ENV });
    return log.run('apt-get', ['install', '-qyf', '--no-install-recommends'], { env: APT_ENV });
  }
  if (path.endsWith('.snap')) {
    log.problem(`plinth-agent: ${path} is a snap; Plinth's ephemeral environment has no snapd to install it`);
    return 1;
  }
  return 0;
}
