/**
 * The document `00-plinth-facts` prints (scripts/00-plinth-facts.sh): what the region learns about a
 * machine's CPUs, memory, NUMA layout, firmware, NICs and disks. Untrusted input from the machine, so
 * every field is checked and bounded here before anything is written.
 */
import { z } from 'zod';

const text = (max = 256) => z.string().max(max);
const optText = (max = 256) => text(max).nullable();
const count = z.number().int().nonnegative();

export const ARCHITECTURES = ['amd64', 'arm64', 'armhf', 'i386', 'ppc64el', 's390x', 'riscv64'] as const;

const nic = z.object({
  name: z.string().regex(/^[\w.:@-]{1,15}$/, 'an interface name (up to 15 letters, digits and . : @ _ -)'),
  mac: z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'a MAC address (xx:xx:xx:xx:xx:xx)'),
  driver: optText(64),
  speed_mbps: count.nullable(),
  link: z.enum(['up', 'down', 'unknown']),
  mtu: count.nullable(),
  bus: text(32),
  address: text(64),
  vendor_id: optText(16),
  product_id: optText(16),
  numa_node: count.nullable(),
}).strict();

const disk = z.object({
  name: z.string().regex(/^[\w.:-]{1,64}$/, 'a kernel block device name'),
  model: text(),
  serial: text(),
  size: z.number().int().positive(),
  block_size: z.number().int().min(512).max(65536).nullable(),
  rotational: z.boolean(),
  removable: z.boolean(),
  id_path: z.string().regex(/^\/dev\/disk\/by-(id|path)\/[^\s/]{1,255}$/, 'a /dev/disk/by-id or by-path link').nullable(),
  firmware_version: optText(64),
  bus: text(32),
  numa_node: count.nullable(),
}).strict();

export const factsSchema = z.object({
  version: z.literal(1),
  architecture: z.string().min(1).max(32),
  kernel: text(),
  cpu: z.object({
    model: text(),
    count: z.number().int().positive(),
    speed_mhz: count.nullable(),
    sockets: count.nullable(),
  }).strict(),
  memory_mib: z.number().int().positive().nullable(),
  numa: z.array(z.object({ index: count, cpus: z.array(count), memory_mib: count.nullable() }).strict()).max(1024),
  firmware: z.object({ type: z.enum(['bios', 'uefi']), vendor: optText(), version: optText(), date: optText(32) }).strict(),
  dmi: z.object({
    system: z.object({ vendor: optText(), product: optText(), family: optText(), version: optText(), sku: optText(), serial: optText(), uuid: optText(64) }).strict(),
    board: z.object({ vendor: optText(), product: optText(), serial: optText(), version: optText() }).strict(),
    chassis: z.object({ vendor: optText(), type: optText(32), serial: optText(), version: optText() }).strict(),
  }).strict(),
  nics: z.array(nic).max(1024),
  disks: z.array(disk).max(4096),
}).strict();

export type Facts = z.infer<typeof factsSchema>;
export type NicFacts = Facts['nics'][number];
export type DiskFacts = Facts['disks'][number];

/** Parses and checks the script's output; the error names the first few bad fields. */
export function parseFacts(output: Buffer | string): { facts: Facts } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(output.toString());
  } catch (e) {
    return { error: `00-plinth-facts did not print JSON: ${(e as Error).message}` };
  }
  const r = factsSchema.safeParse(raw);
  if (r.success) return { facts: r.data };
  const problems = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`);
  return { error: `00-plinth-facts printed an invalid document: ${problems.join('; ')}` };
}
