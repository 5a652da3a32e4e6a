#!/bin/bash
# Entry point of the egress proxy (src/runner/egress.ts writes the environment):
#   EGRESS_CLIENTS      CIDRs allowed to use the proxy (the internal network of the siblings)
#   EGRESS_DENY         addresses/CIDRs never connected to (host addresses, link-local, private, …)
#   EGRESS_ALLOW_NETS   addresses/CIDRs connected to even when EGRESS_DENY covers them (networkAllow)
#   EGRESS_ALLOW_NAMES  host names likewise (networkAllow; `.example.com` = domain and subdomains)
# Two layers: squid refuses a request whose destination resolves to a denied address (a clear
# 403 for the command), and nftables rules in this container's own network namespace refuse the
# connection itself, so a name that resolves differently between squid's check and its connect
# (DNS rebinding) still cannot reach a denied address. Then squid runs as `proxy` with no
# capabilities; only the refresher of allowed names' addresses (if any) keeps CAP_NET_ADMIN.
set -euo pipefail

read -r -a clients <<<"${EGRESS_CLIENTS:-}"
read -r -a deny <<<"${EGRESS_DENY:-}"
read -r -a allow_nets <<<"${EGRESS_ALLOW_NETS:-}"
read -r -a allow_names <<<"${EGRESS_ALLOW_NAMES:-}"
[ "${#clients[@]}" -gt 0 ] || { echo "codex-egress: EGRESS_CLIENTS is empty" >&2; exit 2; }
[ "${#deny[@]}" -gt 0 ] || { echo "codex-egress: EGRESS_DENY is empty" >&2; exit 2; }

family() { if [[ $1 == *:* ]]; then echo ip6; else echo ip; fi; }

# --- kernel layer -----------------------------------------------------------------------------
{
  echo 'table inet codex_egress {'
  echo '  set names4 { type ipv4_addr; }'
  echo '  set names6 { type ipv6_addr; }'
  echo '  chain out {'
  echo '    type filter hook output priority 0; policy accept;'
  echo '    oif "lo" accept'
  # answers to the siblings' connections to the proxy itself
  echo '    ct direction reply accept'
  # squid's own resolver (Docker's embedded DNS forwards from this namespace); squid refuses
  # port 53 to its clients, so only the resolver gets here.
  echo '    meta l4proto { tcp, udp } th dport 53 accept'
  for c in ${allow_nets[@]+"${allow_nets[@]}"}; do echo "    $(family "$c") daddr $c accept"; done
  echo '    ip daddr @names4 accept'
  echo '    ip6 daddr @names6 accept'
  for c in "${deny[@]}"; do echo "    $(family "$c") daddr $c counter reject with icmpx type admin-prohibited"; done
  echo '  }'
  echo '}'
} >/run/egress.nft
nft -f /run/egress.nft

refresh_names() {
  local name host addr
  for name in ${allow_names[@]+"${allow_names[@]}"}; do
    host=${name#.}
    while read -r addr _; do
      if [[ $addr == *:* ]]; then nft add element inet codex_egress names6 "{ $addr }" 2>/dev/null || true
      else nft add element inet codex_egress names4 "{ $addr }" 2>/dev/null || true; fi
    done < <(getent ahosts "$host" | awk '{print $1}' | sort -u)
  done
}

# --- squid ------------------------------------------------------------------------------------
{
  cat <<'CONF'
http_port 3128
pid_filename none
cache deny all
cache_mem 8 MB
access_log stdio:/dev/stdout
cache_log /dev/stderr
cache_store_log none
logfile_rotate 0
netdb_filename none
coredump_dir /tmp
visible_hostname codex-egress
via off
forwarded_for delete
httpd_suppress_version_string on
shutdown_lifetime 1 seconds
pinger_enable off
CONF
  echo "acl clients src ${clients[*]}"
  echo 'acl dns_port port 53'
  echo "acl denied dst ${deny[*]}"
  echo 'http_access deny !clients'
  echo 'http_access deny dns_port'
  if [ "${#allow_names[@]}" -gt 0 ]; then echo "acl allowed_names dstdomain ${allow_names[*]}"; echo 'http_access allow allowed_names'; fi
  if [ "${#allow_nets[@]}" -gt 0 ]; then echo "acl allowed_nets dst ${allow_nets[*]}"; echo 'http_access allow allowed_nets'; fi
  echo 'http_access deny denied'
  echo 'http_access allow clients'
  echo 'http_access deny all'
} >/run/squid.conf

# squid runs as `proxy` and logs to the container's stdout/stderr, pipes owned by root.
chmod 0666 /proc/self/fd/1 /proc/self/fd/2 2>/dev/null || true
drop=(setpriv --reuid=proxy --regid=proxy --init-groups --inh-caps=-all --bounding-set=-all --no-new-privs)
"${drop[@]}" squid -k parse -f /run/squid.conf 2>&1 | grep -E 'FATAL|ERROR' >&2 && exit 2

if [ "${#allow_names[@]}" -gt 0 ]; then
  refresh_names
  # Addresses of allowed names can move (a container restarted): re-resolve now and then. Only
  # ever adds operator-allowed names' addresses; runs as root with CAP_NET_ADMIN, takes no input
  # from the proxy's clients.
  (while sleep 10; do refresh_names; done) &
fi
exec "${drop[@]}" squid -N -f /run/squid.conf
