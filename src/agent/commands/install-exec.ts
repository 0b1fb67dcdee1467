/**
 * How the installer runs things: argv lists (never a shell string) with optional stdin, their output
 * kept in the install log; device paths waited for (partition nodes appear a moment after the table
 * is written); the image streamed from HTTP straight into tar.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { log } from '../log.ts';

/** The install log: every message and every command's output; posted to the region at the end. */
export class InstallLog {
  constructor(readonly path: string) {}
  say(message: string): void {
    log(message);
    this.raw(`${new Date().toISOString()} ${message}\n`);
  }
  raw(text: string | Buffer): void {
    try { appendFileSync(this.path, text); } catch { /* the console still has it */ }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Device arguments the command reads (mdadm's --create names the array it makes, so that one is not waited for). */
function inputDevices(argv: string[]): string[] {
  return argv.filter((a, i) => a.startsWith('/dev/') && !(argv[0] === 'mdadm' && argv[i - 1] === '--create'));
}

/** The disk a partition path belongs to: /dev/sda2, /dev/nvme0n1p2, /dev/loop0p1, …/wwn-0x5000-part2. */
export function parentDisk(dev: string): string | null {
  const m = /^(.*\d)p\d+$/.exec(dev) ?? /^(.*)-part\d+$/.exec(dev) ?? /^(\/dev\/(?:[shv]d|xvd)[a-z]+)\d+$/.exec(dev);
  return m ? m[1] : null;
}

function quiet(argv: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    c.on('error', () => resolve(false));
    c.on('close', (code) => resolve(code === 0));
  });
}

/**
 * Waits for the devices a command reads. A partition that does not show up means the kernel has not
 * read the new table (sfdisk's re-read is refused on some devices): `partx -u` tells it, and udev is
 * given time to make the node and links.
 */
export async function waitForDevices(argv: string[], ilog?: InstallLog, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const dev of inputDevices(argv)) {
    let nudged = false;
    while (!existsSync(dev) && Date.now() < deadline) {
      const disk = parentDisk(dev);
      if (!nudged && disk && existsSync(disk)) {
        nudged = true;
        ilog?.say(`${dev} is not there yet: partx -u ${disk}`);
        if (!(await quiet(['partx', '-u', disk]))) await quiet(['partx', '-a', disk]);
        await quiet(['udevadm', 'settle', '--timeout=10']);
        continue;
      }
      await sleep(100);
    }
  }
}

function tail(text: string, lines = 5): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs one command; throws naming it, with the end of its output, when it fails. */
export async function exec(ilog: InstallLog, argv: string[], stdin?: string): Promise<void> {
  await waitForDevices(argv, ilog);
  ilog.say(`$ ${argv.join(' ')}`);
  const out = await new Promise<{ code: number | null; text: string; error?: string }>((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    const keep = (c: Buffer) => { text += c.toString(); ilog.raw(c); };
    child.stdout.on('data', keep); child.stderr.on('data', keep);
    child.stdin.on('error', () => { /* the command did not read its input; its exit status says why */ });
    child.on('error', (e) => resolve({ code: null, text, error: e.message }));
    child.on('close', (code) => resolve({ code, text }));
    child.stdin.end(stdin ?? '');
  });
  if (out.error) throw new Error(`${argv[0]} could not be started: ${out.error}`);
  if (out.code !== 0) throw new Error(`${argv.slice(0, 2).join(' ')} exited with status ${out.code}${out.text.trim() ? `: ${tail(out.text)}` : ''}`);
}

/** GET url into `tar -xzf - -C target`, preserving owners, permissions and extended attributes; the download's sha256 checked when given. */
export function streamImage(ilog: InstallLog, url: string, target: string, sha256: string | null = null): Promise<void> {
  const argv = ['tar', '-xzf', '-', '-C', target, '--numeric-owner', '--xattrs', '--xattrs-include=*', '-p'];
  ilog.say(`GET ${url} | ${argv.join(' ')}`);
  return new Promise((resolve, reject) => {
    const tar = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let text = ''; let failed: string | undefined; let bytes = 0;
    const hash = createHash('sha256');
    const keep = (c: Buffer) => { text += c.toString(); ilog.raw(c); };
    tar.stdout.on('data', keep); tar.stderr.on('data', keep);
    tar.stdin.on('error', () => { /* tar stopped reading; its exit status says why */ });
    tar.on('error', (e) => { failed ??= `tar could not be started: ${e.message}`; });
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, (res) => {
      if (res.statusCode !== 200) {
        failed = `the image ${url} answered HTTP ${res.statusCode}`;
        res.resume(); tar.stdin.end(); return;
      }
      res.on('data', (c: Buffer) => { bytes += c.length; hash.update(c); });
      res.on('error', (e) => { failed ??= `the image download broke off: ${e.message}`; tar.stdin.end(); });
      res.pipe(tar.stdin);
    });
    req.setTimeout(300_000, () => req.destroy(new Error('no data for 300 s')));
    req.on('error', (e) => { failed ??= `the image ${url} could not be fetched: ${e.message}`; tar.stdin.end(); });
    req.end();
    tar.on('close', (code) => {
      const got = hash.digest('hex');
      if (failed) reject(new Error(failed));
      else if (code !== 0) reject(new Error(`tar exited with status ${code}${text.trim() ? `: ${tail(text)}` : ''}`));
      else if (sha256 && got !== sha256) reject(new Error(`the image ${url} has sha256 ${got}, the plan says ${sha256}`));
      else { ilog.say(`image written (${(bytes / 1048576).toFixed(1)} MiB compressed)`); resolve(); }
    });
  });
}

/**
 * A disk image: GET url | `gzip -dc` | `dd of=<disk> bs=4M conv=fsync`. The image brings its own
 * partition table, so nothing is partitioned first. The download's sha256 must match the plan's; on
 * a mismatch the disk has been written but the install fails (the machine is not booted from it).
 */
export function writeDiskImage(ilog: InstallLog, url: string, disk: string, sha256: string | null): Promise<void> {
  const dd = ['dd', `of=${disk}`, 'bs=4M', 'conv=fsync'];
  ilog.say(`GET ${url} | gzip -dc | ${dd.join(' ')}`);
  return new Promise((resolve, reject) => {
    const gzip = spawn('gzip', ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const writer = spawn(dd[0], dd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let text = ''; let failed: string | undefined; let bytes = 0;
    const hash = createHash('sha256');
    const keep = (c: Buffer) => { text += c.toString(); ilog.raw(c); };
    gzip.stderr.on('data', keep); writer.stdout.on('data', keep); writer.stderr.on('data', keep);
    for (const s of [gzip.stdin, writer.stdin]) s.on('error', () => { /* the reader stopped; its exit status says why */ });
    gzip.on('error', (e) => { failed ??= `gzip could not be started: ${e.message}`; });
    writer.on('error', (e) => { failed ??= `dd could not be started: ${e.message}`; });
    gzip.stdout.pipe(writer.stdin);
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, (res) => {
      if (res.statusCode !== 200) {
        failed = `the image ${url} answered HTTP ${res.statusCode}`;
        res.resume(); gzip.stdin.end(); return;
      }
      res.on('data', (c: Buffer) => { bytes += c.length; hash.update(c); });
      res.on('error', (e) => { failed ??= `the image download broke off: ${e.message}`; gzip.stdin.end(); });
      res.pipe(gzip.stdin);
    });
    req.setTimeout(300_000, () => req.destroy(new Error('no data for 300 s')));
    req.on('error', (e) => { failed ??= `the image ${url} could not be fetched: ${e.message}`; gzip.stdin.end(); });
    req.end();
    const exited = (p: ReturnType<typeof spawn>) => new Promise<number | null>((r) => p.on('close', r));
    Promise.all([exited(gzip), exited(writer)]).then(([gz, wr]) => {
      const got = hash.digest('hex');
      if (failed) reject(new Error(failed));
      else if (gz !== 0) reject(new Error(`gzip -dc exited with status ${gz}${text.trim() ? `: ${tail(text)}` : ''}`));
      else if (wr !== 0) reject(new Error(`dd exited with status ${wr}${text.trim() ? `: ${tail(text)}` : ''}`));
      else if (sha256 && got !== sha256) reject(new Error(`the image ${url} has sha256 ${got}, the plan says ${sha256}`));
      else { ilog.say(`disk image written to ${disk} (${(bytes / 1048576).toFixed(1)} MiB compressed)`); resolve(); }
    }, reject);
  });
}
