/**
 * Checks a boot decision before it is rendered. Every string ends up inside a bootloader script
 * (iPXE, GRUB) or a kernel command line, so anything that could start a new command or change how a
 * line is split is refused: control characters (a newline would start a new script command),
 * whitespace inside single values, and `${` (iPXE and GRUB expand it). Image paths are relative and
 * may not climb out of `images/`.
 */
import { BootConfigError, BOOT_PURPOSES, isEphemeral, type BootDecision, type BootServer } from './types.ts';

const CONTROL = /[\u0000-\u001f\u007f]/;
const PATH_SEGMENT = /^[A-Za-z0-9._+~-]+$/;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const ARCH = /^[a-z0-9][a-z0-9_.+-]{0,31}$/;

function hostProblem(host: string): string | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) {
    return host.split('.').every((o) => Number(o) <= 255) ? null : 'is not a valid IPv4 address';
  }
  if (/^[0-9a-f:.]+$/i.test(host) && host.includes(':')) return null;
  if (host.length <= 253 && host.split('.').every((l) => LABEL.test(l))) return null;
  return 'must be an IP address or a DNS name';
}

function portProblem(port: number): string | null {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? null : 'must be an integer from 1 to 65535';
}

export function imagePathProblem(path: string): string | null {
  if (path.length === 0 || path.length > 1024) return 'must be 1-1024 characters';
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return 'must be a relative path without empty, "." or ".." segments';
  if (!segments.every((s) => PATH_SEGMENT.test(s))) return 'may only contain letters, digits and . _ + ~ - in its segments';
  return null;
}

/** A single kernel-command-line value: printable, no whitespace, no `${`. */
function valueProblem(v: string): string | null {
  if (CONTROL.test(v) || /\s/.test(v)) return 'may not contain whitespace or control characters';
  if (v.includes('${')) return 'may not contain "${"';
  return null;
}

/** Problems with a host/port pair, prefixed with its name. */
export function serverProblems(prefix: string, s: BootServer | undefined, problems: string[] = []): string[] {
  if (!s || typeof s.host !== 'string') {
    problems.push(`${prefix} is required`);
    return problems;
  }
  const h = hostProblem(s.host);
  if (h) problems.push(`${prefix}.host ${h}`);
  const p = portProblem(s.port);
  if (p) problems.push(`${prefix}.port ${p}`);
  return problems;
}

/** Problems with a decision, as readable sentences; empty when it can be rendered. */
export function decisionProblems(d: BootDecision): string[] {
  const problems: string[] = [];
  if (!BOOT_PURPOSES.includes(d.purpose)) problems.push(`purpose must be one of ${BOOT_PURPOSES.join(', ')}`);
  if (d.firmware !== 'bios' && d.firmware !== 'uefi') problems.push('firmware must be bios or uefi');
  if (!ARCH.test(d.arch ?? '')) problems.push('arch must be a lower-case architecture name such as amd64');
  if (!ARCH.test(d.subarch ?? '')) problems.push('subarch must be a lower-case name such as generic');
  if (d.hostname !== undefined && d.hostname !== '' && !LABEL.test(d.hostname)) problems.push('hostname must be a DNS label (letters, digits, hyphens)');
  if (d.domain !== undefined && d.domain !== '' && hostProblem(d.domain) !== null) problems.push('domain must be a DNS name');
  if (!isEphemeral(d)) return problems;

  serverProblems('server', d.server, problems);
  const img = d.image;
  if (!img) {
    problems.push('image is required');
  } else {
    for (const key of ['kernel', 'initrd', 'squashfs'] as const) {
      const v = img[key];
      if (v === undefined && key === 'squashfs') continue;
      const p = typeof v === 'string' ? imagePathProblem(v) : 'is required';
      if (p) problems.push(`image.${key} ${p}`);
    }
  }
  if (typeof d.preseedUrl !== 'string' || !/^https?:\/\/[^/]/.test(d.preseedUrl)) {
    problems.push('preseedUrl must be an http:// or https:// URL');
  } else {
    const p = valueProblem(d.preseedUrl);
    if (p) problems.push(`preseedUrl ${p}`);
    else if (/["'\\]/.test(d.preseedUrl)) problems.push('preseedUrl may not contain quotes or backslashes');
  }
  if (d.log) serverProblems('log', d.log, problems);
  if (d.extraOpts !== undefined) {
    if (CONTROL.test(d.extraOpts)) problems.push('extraOpts may not contain control characters (a newline would start a new bootloader command)');
    else if (d.extraOpts.includes('${')) problems.push('extraOpts may not contain "${" (bootloaders expand it)');
    else if ((d.extraOpts.match(/"/g) ?? []).length % 2 !== 0) problems.push('extraOpts has an unbalanced double quote');
  }
  return problems;
}

/** Throws BootConfigError listing every problem. */
export function assertDecision(d: BootDecision): void {
  const problems = decisionProblems(d);
  if (problems.length > 0) throw new BootConfigError(problems);
}

/** `host:port`, with IPv6 literals bracketed (RFC 3986 §3.2.2). */
export function hostPort(s: BootServer): string {
  return s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}
