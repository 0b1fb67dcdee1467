#!/bin/sh
# 40-dmidecode: the SMBIOS/DMI tables as dmidecode prints them (kept with the results, for people).
set -eu
command -v dmidecode >/dev/null 2>&1 || { echo "40-dmidecode: dmidecode is not installed in this environment" >&2; exit 3; }
if [ ! -e /sys/firmware/dmi/tables/DMI ] && [ ! -e /sys/firmware/dmi/tables/smbios_entry_point ]; then
  # Some platforms (many ARM boards, some hypervisors) have no SMBIOS at all; that is not a failure.
  echo "# No SMBIOS/DMI tables on this machine."
  exit 0
fi
exec dmidecode
