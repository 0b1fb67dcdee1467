/** Flags of the rack's serving side, shared by `plinth start` (region + rack) and `plinth rack run`. */
import type { Command } from 'commander';
import type { RackOptions } from '../app/rack.ts';
import { parseSize } from '../edges/rack/images/policy.ts';

export interface RackFlags {
  rackHost?: string;
  dhcpPort?: number;
  tftpPort?: number;
  httpBootPort?: number;
  dhcp?: boolean;
  tftp?: boolean;
  httpBoot?: boolean;
  imageCacheMax?: number;
}

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port: ${v}`);
  return n;
};

export const rackFlags = (c: Command) =>
  c.option('--rack-host <address>', "address the rack's DHCP, TFTP and HTTP boot servers bind (default 0.0.0.0; DHCP needs it to see broadcasts)")
    .option('--dhcp-port <port>', 'DHCP server port (default 67)', port)
    .option('--tftp-port <port>', 'TFTP server port (default 69)', port)
    .option('--http-boot-port <port>', 'HTTP boot server port (default 5248)', port)
    .option('--no-dhcp', 'do not run the DHCP server')
    .option('--no-tftp', 'do not run the TFTP server')
    .option('--no-http-boot', 'do not run the HTTP boot server')
    .option('--image-cache-max <size>', 'size budget of the rack\'s image cache, e.g. 50G (default unlimited; least recently served images are evicted)', parseSize);

export const rackServing = (f: RackFlags): Pick<RackOptions, 'host' | 'ports' | 'enable' | 'imageCacheMax'> => ({
  host: f.rackHost,
  ports: { dhcp: f.dhcpPort, tftp: f.tftpPort, http: f.httpBootPort },
  enable: { dhcp: f.dhcp !== false, tftp: f.tftp !== false, http: f.httpBoot !== false },
  imageCacheMax: f.imageCacheMax,
});
