/**
 * A backend for a rack that answers from a fixed table instead of asking a region: the lab without
 * a region, the standalone server process, the benchmark. Decisions are kept by MAC; `unknown`
 * answers default-configuration requests (normally the enlist purpose). A table entry may leave
 * out `server` (filled in with the address and port the machine connected to) and `firmware`
 * (taken from the request's `?platform=`, else bios).
 *
 * - pre-loaders (ipxe.cfg, grub/grub.cfg) are rendered for the server the client reached;
 * - a MAC not in the table gets null (404), so the loader falls back to its default request;
 * - PXELINUX UUID requests get null (the MAC request comes next).
 */
import { normalizeMac } from '../../../domain/machine/mac.ts';
import {
  renderBootConfig, renderPreloader, type BootDecision, type BootServer, type EphemeralDecision, type LocalDecision, type PoweroffDecision,
} from '../../../domain/boot/index.ts';
import type { BootConfigRequest, HttpBootBackend } from './types.ts';

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
export type DecisionTemplate =
  | Optional<EphemeralDecision, 'server' | 'firmware'>
  | Optional<LocalDecision, 'firmware'>
  | Optional<PoweroffDecision, 'firmware'>;

export interface StaticBootTable {
  machines?: Record<string, DecisionTemplate>;
  unknown?: DecisionTemplate | null;
}

export class StaticBootBackend implements HttpBootBackend {
  private machines = new Map<string, DecisionTemplate>();
  private unknown: DecisionTemplate | null = null;

  constructor(table: StaticBootTable) {
    this.update(table);
  }

  /** Replaces the table (a running server picks it up with the next request). */
  update(table: StaticBootTable): void {
    const machines = new Map<string, DecisionTemplate>();
    for (const [mac, d] of Object.entries(table.machines ?? {})) {
      const m = normalizeMac(mac);
      if (!m) throw new Error(`not a MAC address: ${mac}`);
      machines.set(m, d);
    }
    this.machines = machines;
    this.unknown = table.unknown ?? null;
  }

  bootConfig(req: BootConfigRequest): string | null {
    const server: BootServer = { host: req.localIp, port: req.localPort };
    const f = req.file;
    if (f.kind === 'preloader') return renderPreloader(f.loader, server);
    let template: DecisionTemplate | null | undefined;
    if (f.kind === 'mac') template = this.machines.get(f.mac);
    else if (f.kind === 'default') template = this.unknown;
    if (!template) return null;
    const decision = {
      ...template,
      firmware: template.firmware ?? req.firmware ?? 'bios',
      ...('image' in template ? { server: template.server ?? server } : {}),
    } as BootDecision;
    return renderBootConfig(f.loader, decision);
  }
}
