#!/bin/sh
# Test double for libvirt's virsh (a hypervisor we do not have in the tests): keeps one domain's
# state in $FAKE_VIRSH_STATE ("running"/"shut off" and a boot count). Usage as virsh:
#   fake-virsh.sh --connect URI domstate|start|destroy|reset NAME
# URIs containing "unreachable" fail to connect; when $FAKE_VIRSH_PASSWORD is set, the password the
# SSH_ASKPASS helper prints must equal it.
uri=$2; cmd=$3; name=$4
case "$uri" in *unreachable*) sleep 0.2; echo "error: failed to connect to the hypervisor" >&2; exit 1;; esac
if [ -n "$FAKE_VIRSH_PASSWORD" ]; then
  given=$([ -n "$SSH_ASKPASS" ] && "$SSH_ASKPASS")
  if [ "$given" != "$FAKE_VIRSH_PASSWORD" ]; then echo "error: authentication failed: Permission denied (publickey,password)" >&2; exit 1; fi
fi
[ "$name" = "$FAKE_VIRSH_DOMAIN" ] || { echo "error: failed to get domain '$name'" >&2; exit 1; }
state=$(sed -n 1p "$FAKE_VIRSH_STATE"); boots=$(sed -n 2p "$FAKE_VIRSH_STATE")
save() { printf '%s\n%s\n' "$1" "$2" > "$FAKE_VIRSH_STATE"; }
case "$cmd" in
  domstate) echo "$state"; echo ;;
  start) [ "$state" = "running" ] && { echo "error: Domain is already active" >&2; exit 1; }; save running $((boots + 1)); echo "Domain '$name' started" ;;
  destroy) [ "$state" = "shut off" ] && { echo "error: domain is not running" >&2; exit 1; }; save "shut off" "$boots"; echo "Domain '$name' destroyed" ;;
  reset) [ "$state" = "running" ] || { echo "error: domain is not running" >&2; exit 1; }; save running $((boots + 1)); echo "Domain '$name' was reset" ;;
  *) echo "error: unknown command '$cmd'" >&2; exit 1 ;;
esac
