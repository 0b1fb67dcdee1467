/**
 * Shape check of a storage document received as untrusted JSON. Reports every problem with its
 * path (`disks[0].partitions[1].size`); never throws. Semantic checks (does `sda-part9` exist, does
 * it fit) happen when the document is applied (document.ts).
 */
import { parseSize } from './units.ts';
import { CACHE_MODES, DATA_FSTYPES, INTERNAL_FSTYPES, RAID_LEVELS, type StorageError } from './types.ts';
import type { StorageDocument } from './document-types.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

class Checker {
  errors: StorageError[] = [];
  fail(field: string, message: string) { this.errors.push({ field, message }); }

  object(path: string, v: unknown, allowed: readonly string[], required: readonly string[] = []): Obj | null {
    if (!isObj(v)) { this.fail(path || 'document', `${path || 'The document'} must be an object.`); return null; }
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.fail(`${path ? `${path}.` : ''}${k}`, `Unknown field '${k}'; expected one of ${allowed.join(', ')}.`);
    for (const k of required) if (v[k] === undefined || v[k] === null) this.fail(`${path ? `${path}.` : ''}${k}`, `'${k}' is required.`);
    return v;
  }

  array(path: string, v: unknown, each: (p: string, x: unknown) => void): void {
    if (v === undefined) return;
    if (!Array.isArray(v)) { this.fail(path, `${path} must be a list.`); return; }
    v.forEach((x, i) => each(`${path}[${i}]`, x));
  }

  string(path: string, v: unknown, opts: { optional?: boolean; nullable?: boolean } = {}): void {
    if (v === undefined && opts.optional) return;
    if (v === null && opts.nullable) return;
    if (typeof v !== 'string' || v.trim() === '') this.fail(path, `${path} must be a non-empty string.`);
  }

  oneOf(path: string, v: unknown, values: readonly string[], optional = true, nullable = false): void {
    if ((v === undefined && optional) || (v === null && nullable)) return;
    if (typeof v !== 'string' || !values.includes(v)) this.fail(path, `${path} must be one of ${values.join(', ')}.`);
  }

  size(path: string, v: unknown): void {
    if (v === undefined) return;
    const r = parseSize(v, { allowPercent: true });
    if ('error' in r) this.fail(path, `${path}: ${r.error}`);
    else if (r.bytes === 0) this.fail(path, `${path} must be more than zero.`);
  }

  bool(path: string, v: unknown): void {
    if (v !== undefined && typeof v !== 'boolean') this.fail(path, `${path} must be true or false.`);
  }

  names(path: string, v: unknown, required: boolean): void {
    if (v === undefined && !required) return;
    if (!Array.isArray(v)) { this.fail(path, `${path} must be a list of device names.`); return; }
    v.forEach((x, i) => this.string(`${path}[${i}]`, x));
  }

  filesystem(path: string, v: unknown): void {
    if (v === undefined || v === null) return;
    const o = this.object(path, v, ['fstype', 'label', 'mount_point', 'mount_options', 'uuid'], ['fstype']);
    if (!o) return;
    if ((INTERNAL_FSTYPES as readonly string[]).includes(String(o.fstype))) {
      this.fail(`${path}.fstype`, `'${String(o.fstype)}' is set by listing the device in a volume group, RAID or bcache, not as a filesystem.`);
    } else if (o.fstype !== undefined) this.oneOf(`${path}.fstype`, o.fstype, DATA_FSTYPES, false);
    this.string(`${path}.label`, o.label, { optional: true, nullable: true });
    this.string(`${path}.mount_point`, o.mount_point, { optional: true, nullable: true });
    this.string(`${path}.mount_options`, o.mount_options, { optional: true, nullable: true });
    this.string(`${path}.uuid`, o.uuid, { optional: true });
  }

  content(path: string, o: Obj): void {
    this.oneOf(`${path}.ptable`, o.ptable, ['gpt', 'mbr', 'GPT', 'MBR'], true, true);
    this.filesystem(`${path}.filesystem`, o.filesystem);
    this.array(`${path}.partitions`, o.partitions, (p, x) => {
      const part = this.object(p, x, ['size', 'offset', 'bootable', 'boot_code', 'uuid', 'tags', 'filesystem']);
      if (!part) return;
      this.size(`${p}.size`, part.size);
      if (part.offset !== undefined) {
        const r = parseSize(part.offset);
        if ('error' in r) this.fail(`${p}.offset`, `${p}.offset: ${r.error}`);
      }
      this.bool(`${p}.bootable`, part.bootable);
      this.oneOf(`${p}.boot_code`, part.boot_code, ['bios_grub', 'prep'], true, true);
      this.string(`${p}.uuid`, part.uuid, { optional: true });
      this.array(`${p}.tags`, part.tags, (tp, t) => this.string(tp, t));
      this.filesystem(`${p}.filesystem`, part.filesystem);
    });
  }
}

const CONTENT = ['ptable', 'partitions', 'filesystem'];

export function validateDocument(input: unknown): { doc: StorageDocument; errors?: undefined } | { errors: StorageError[]; doc?: undefined } {
  const c = new Checker();
  const o = c.object('', input, ['boot_disk', 'disks', 'raids', 'volume_groups', 'bcaches', 'special_filesystems']);
  if (!o) return { errors: c.errors };
  if (o.boot_disk !== undefined && o.boot_disk !== null && typeof o.boot_disk !== 'number') c.string('boot_disk', o.boot_disk);
  c.array('disks', o.disks, (p, x) => {
    const d = c.object(p, x, ['disk', ...CONTENT], ['disk']);
    if (!d) return;
    if (typeof d.disk !== 'number') c.string(`${p}.disk`, d.disk);
    c.content(p, d);
  });
  c.array('raids', o.raids, (p, x) => {
    const r = c.object(p, x, ['name', 'level', 'devices', 'spares', 'uuid', ...CONTENT], ['name', 'level', 'devices']);
    if (!r) return;
    c.string(`${p}.name`, r.name);
    c.oneOf(`${p}.level`, r.level, RAID_LEVELS, false);
    c.names(`${p}.devices`, r.devices, true);
    c.names(`${p}.spares`, r.spares, false);
    c.string(`${p}.uuid`, r.uuid, { optional: true });
    c.content(p, r);
  });
  c.array('volume_groups', o.volume_groups, (p, x) => {
    const v = c.object(p, x, ['name', 'uuid', 'devices', 'logical_volumes'], ['name', 'devices']);
    if (!v) return;
    c.string(`${p}.name`, v.name);
    c.string(`${p}.uuid`, v.uuid, { optional: true });
    c.names(`${p}.devices`, v.devices, true);
    c.array(`${p}.logical_volumes`, v.logical_volumes, (lp, lx) => {
      const lv = c.object(lp, lx, ['name', 'size', 'uuid', 'filesystem'], ['name']);
      if (!lv) return;
      c.string(`${lp}.name`, lv.name);
      c.size(`${lp}.size`, lv.size);
      c.string(`${lp}.uuid`, lv.uuid, { optional: true });
      c.filesystem(`${lp}.filesystem`, lv.filesystem);
    });
  });
  c.array('bcaches', o.bcaches, (p, x) => {
    const b = c.object(p, x, ['name', 'backing', 'cache', 'cache_mode', 'uuid', ...CONTENT], ['name', 'backing', 'cache']);
    if (!b) return;
    c.string(`${p}.name`, b.name);
    c.string(`${p}.backing`, b.backing);
    c.string(`${p}.cache`, b.cache);
    c.oneOf(`${p}.cache_mode`, b.cache_mode, CACHE_MODES);
    c.string(`${p}.uuid`, b.uuid, { optional: true });
    c.content(p, b);
  });
  c.array('special_filesystems', o.special_filesystems, (p, x) => {
    if (!isObj(x)) { c.fail(p, `${p} must be an object.`); return; }
    c.filesystem(p, x);
    if (isObj(x) && x.fstype !== 'tmpfs' && x.fstype !== 'ramfs') c.fail(`${p}.fstype`, `Special filesystems are tmpfs or ramfs, not '${String(x.fstype)}'.`);
  });
  return c.errors.length ? { errors: c.errors } : { doc: o as unknown as StorageDocument };
}
