/** A custom test script with embedded metadata (shared by the scripts tests). */
export const SMART_SCRIPT = `#!/bin/bash
# --- Start MAAS 1.0 script metadata ---
# name: disk-health
# title: Disk health
# description: Checks the disks.
# script_type: testing
# hardware_type: storage
# parallel: instance
# timeout: 00:10:00
# tags: [disks, quick]
# packages:
#   apt:
#     - smartmontools
# parameters:
#   storage: {type: storage, argument_format: '{path}'}
# for_hardware: ['pci:8086:1234']
# --- End MAAS 1.0 script metadata ---
echo checking "$1"
`;
