/**
 * The QEMU command line of a lab machine and the mapping from IPMI boot device to QEMU `bootindex`
 * order. Pure functions of a MachineSpec.
 *
 * Layout of a machine: q35, virtio disks and NICs (the NIC's option ROM is QEMU's iPXE build from the
 * ipxe-qemu package), an empty CD-ROM drive so "boot from CD" has a device to name, the serial port
 * appended to a log file, a QMP socket, and QEMU's external-BMC device wired to the machine's
 * ipmi_sim so the guest sees an in-band BMC (BT interface).
 */
import { join } from 'node:path';
import type { BootDevice, MachineSpec } from './types.ts';

/** QEMU device ids that can carry a boot index. */
export const CDROM_ID = 'cd0';

/**
 * Boot order for a boot device, as device id → bootindex (lower boots first; devices left out are
 * not booted at all because the machine runs with `-boot strict=on`).
 *   none / pxe — the lab's standard order: first NIC, then the disks (network boot first);
 *   default    — "boot from the hard drive": disks, then the first NIC;
 *   cdrom      — the (empty) CD drive, then the standard order;
 *   bios       — nothing: the firmware stays in its boot menu / setup.
 */
export function bootOrder(device: BootDevice, m: Pick<MachineSpec, 'disks' | 'nics'>): Record<string, number> {
  const nic = m.nics.slice(0, 1).map((n) => n.id);
  const disks = m.disks.map((d) => d.id);
  let ids: string[];
  switch (device) {
    case 'none':
    case 'pxe':
      ids = [...nic, ...disks];
      break;
    case 'default':
      ids = [...disks, ...nic];
      break;
    case 'cdrom':
      ids = [CDROM_ID, ...nic, ...disks];
      break;
    case 'bios':
      ids = [];
      break;
  }
  return Object.fromEntries(ids.map((id, i) => [id, i + 1]));
}

export function bootDeviceIds(m: Pick<MachineSpec, 'disks' | 'nics'>): string[] {
  return [...m.nics.map((n) => n.id), ...m.disks.map((d) => d.id), CDROM_ID];
}

export const pathsOf = (m: Pick<MachineSpec, 'dir'>) => ({
  qmp: join(m.dir, 'qmp.sock'),
  pid: join(m.dir, 'qemu.pid'),
  console: join(m.dir, 'console.log'),
  qemuLog: join(m.dir, 'qemu.log'),
  chassis: join(m.dir, 'chassis.json'),
  chassisLog: join(m.dir, 'chassis.log'),
  spec: join(m.dir, 'machine.json'),
  ipmiDir: join(m.dir, 'ipmi'),
});

/**
 * OVMF's own network stacks are switched off through fw_cfg (the iPXE option ROM does the network
 * boot); each enabled firmware PXE/HTTP entry otherwise costs a timeout before the next boot entry.
 */
const OVMF_SWITCHES = ['IPv4PXESupport', 'IPv6PXESupport', 'IPv4Support', 'IPv6Support'];

export function qemuArgs(m: MachineSpec, boot: BootDevice): string[] {
  const p = pathsOf(m);
  const order = bootOrder(boot, m);
  const bi = (id: string) => (order[id] ? `,bootindex=${order[id]}` : '');
  const args = [
    '-name', `${m.lab}-${m.name},process=${m.lab}-${m.name}`,
    '-machine', `q35,accel=${m.accel},graphics=off`,
    '-m', String(m.memoryMiB),
    '-smp', String(m.cpus),
    '-uuid', m.uuid,
    '-smbios', `type=1,manufacturer=Plinth lab,product=Virtual machine,serial=${m.lab}-${m.name}`,
    '-nodefaults', '-display', 'none',
    '-chardev', `file,id=console,path=${p.console},append=on`,
    '-serial', 'chardev:console',
    '-qmp', `unix:${p.qmp},server=on,wait=off`,
    '-chardev', `socket,id=ipmi0,host=127.0.0.1,port=${m.bmc.serialPort},reconnect=10`,
    '-device', 'ipmi-bmc-extern,chardev=ipmi0,id=bmc0',
    '-device', 'isa-ipmi-bt,bmc=bmc0',
  ];
  if (m.uefi) {
    args.push(
      '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${m.uefi.code}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${m.uefi.vars}`,
    );
    for (const name of OVMF_SWITCHES) args.push('-fw_cfg', `name=opt/org.tianocore/${name},string=n`);
  }
  for (const nic of m.nics) {
    args.push(
      '-netdev', `tap,id=h${nic.id},ifname=${nic.tap},script=no,downscript=no`,
      '-device', `virtio-net-pci,netdev=h${nic.id},id=${nic.id},mac=${nic.mac}${bi(nic.id)}`,
    );
  }
  for (const disk of m.disks) {
    args.push(
      '-drive', `if=none,id=h${disk.id},file=${disk.path},format=qcow2,discard=unmap`,
      '-device', `virtio-blk-pci,drive=h${disk.id},id=${disk.id},serial=${m.name}-${disk.id}${bi(disk.id)}`,
    );
  }
  args.push(
    '-drive', `if=none,id=h${CDROM_ID},media=cdrom,readonly=on`,
    '-device', `ide-cd,drive=h${CDROM_ID},id=${CDROM_ID},bus=ide.2${bi(CDROM_ID)}`,
  );
  args.push('-boot', boot === 'bios' ? 'strict=on,menu=on,splash-time=30000' : 'strict=on');
  return args;
}
