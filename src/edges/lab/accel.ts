/**
 * KVM or software emulation (TCG)? /dev/kvm existing proves nothing: on nested or paravirtual hosts
 * it can be a backend under which firmware crawls or resets in a loop. So boot SeaBIOS (no disks, no
 * NICs, `-no-reboot`) once under each accelerator, time how long it takes to report "No bootable
 * device" on its debug port (0x402), and use KVM only if it gets there and is not clearly slower
 * than TCG. The verdict is cached per boot of the host (keyed by /proc's boot_id) and QEMU version.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { programPath, run } from './exec.ts';
import { sleep } from './procs.ts';
import { writeJson } from './state.ts';
import type { Accel } from './types.ts';

export const DEFAULT_ACCEL_CACHE = '/run/plinth-lab/accel.json';
const TRIAL_TIMEOUT_MS = 8000;

export interface AccelVerdict {
  accel: Accel;
  reason: string;
  bootId: string;
  qemu: string;
  kvmSeconds: number | null;
  tcgSeconds: number | null;
  at: string;
}

/** Seconds until SeaBIOS gives up booting, or null if it did not within the timeout. */
export async function trialBoot(accel: Accel, timeoutMs = TRIAL_TIMEOUT_MS): Promise<number | null> {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-accel-'));
  const log = join(dir, 'debugcon.log');
  const args = ['-machine', `q35,accel=${accel}`, '-m', '64', '-nodefaults', '-display', 'none', '-no-reboot',
    '-chardev', `file,id=dbg,path=${log}`, '-device', 'isa-debugcon,iobase=0x402,chardev=dbg'];
  const child = spawn(programPath('qemu-system-x86_64'), args, { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true));
  const start = Date.now();
  let seconds: number | null = null;
  try {
    while (Date.now() - start < timeoutMs && !exited) {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        // not created yet
      }
      if (text.includes('No bootable device')) {
        seconds = (Date.now() - start) / 1000;
        break;
      }
      await sleep(50);
    }
  } finally {
    if (!exited) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return seconds;
}

/** KVM counts as usable if its trial finished and took at most twice TCG's time plus half a second. */
export function judge(kvmSeconds: number | null, tcgSeconds: number | null, kvmLimitSeconds = TRIAL_TIMEOUT_MS / 1000): { accel: Accel; reason: string } {
  if (kvmSeconds === null) {
    const tcg = tcgSeconds === null ? '' : `; software emulation took ${tcgSeconds.toFixed(2)} s`;
    return { accel: 'tcg', reason: `a trial boot under KVM did not finish within ${kvmLimitSeconds.toFixed(1)} s${tcg}: using software emulation (slower)` };
  }
  if (tcgSeconds !== null && kvmSeconds > tcgSeconds * 2 + 0.5) {
    return {
      accel: 'tcg',
      reason: `KVM is slower than software emulation here (trial boot ${kvmSeconds.toFixed(2)} s vs ${tcgSeconds.toFixed(2)} s; a nested or paravirtual KVM): using software emulation (slower)`,
    };
  }
  return { accel: 'kvm', reason: `KVM works (trial boot ${kvmSeconds.toFixed(2)} s)` };
}

function kvmAccessible(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function hostKey(): Promise<{ bootId: string; qemu: string }> {
  let bootId = 'unknown';
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // keep 'unknown': the cache then never matches and the trial runs again
  }
  const v = await run('qemu-system-x86_64', ['--version'], { allowFail: true });
  return { bootId, qemu: v.stdout.split('\n')[0]?.trim() ?? '' };
}

function readCache(path: string): AccelVerdict | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AccelVerdict;
  } catch {
    return null;
  }
}

/** Decides the accelerator for `choice`; `auto` runs (or reuses) the trial. */
export async function chooseAccel(choice: 'auto' | Accel, cacheFile = DEFAULT_ACCEL_CACHE): Promise<{ accel: Accel; reason: string }> {
  if (choice === 'tcg') return { accel: 'tcg', reason: 'software emulation requested' };
  if (choice === 'kvm') {
    if (!kvmAccessible()) return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible: using software emulation (slower)' };
    return { accel: 'kvm', reason: 'KVM requested' };
  }
  if (!kvmAccessible()) return { accel: 'tcg', reason: 'no /dev/kvm: using software emulation (slower)' };
  const key = await hostKey();
  const cached = readCache(cacheFile);
  if (cached && cached.bootId === key.bootId && cached.qemu === key.qemu && key.bootId !== 'unknown') {
    return { accel: cached.accel, reason: `${cached.reason} (verdict cached in ${cacheFile})` };
  }
  const tcgSeconds = await trialBoot('tcg');
  // KVM slower than judge()'s bound would be rejected anyway: do not wait longer than that.
  const kvmLimitMs = tcgSeconds === null ? TRIAL_TIMEOUT_MS : Math.min(TRIAL_TIMEOUT_MS, (tcgSeconds * 2 + 1) * 1000);
  const kvmSeconds = await trialBoot('kvm', kvmLimitMs);
  const verdict = judge(kvmSeconds, tcgSeconds, kvmLimitMs / 1000);
  try {
    writeJson(cacheFile, { ...verdict, ...key, kvmSeconds, tcgSeconds, at: new Date().toISOString() } satisfies AccelVerdict);
  } catch {
    // an unwritable cache only costs a trial next time
  }
  return verdict;
}
