#!/usr/bin/env bash
# `nginx -t` on docs/deploy/nginx-hotline.conf inside a minimal nginx.conf in a temporary folder: no root-owned
# paths (pid, logs, temp folders, certificates all under the folder), no DNS (the upstreams are addresses).
# Called by .ci/run; run it by hand after editing the site.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install -y nginx)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tls" "$work/logs" "$work/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=hotline.example.gov.cn" \
  -keyout "$work/tls/privkey.pem" -out "$work/tls/fullchain.pem" >/dev/null 2>&1
# nginx -t binds the listen addresses: free loopback ports instead of 80/443 (no root, nothing in use), IPv4 only
read -r http_port https_port < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
sed -e "s#/etc/hotline/tls/#$work/tls/#g" -e "s#/var/log/nginx/#$work/logs/#g" \
  -e "/listen \[::\]/d" -e "s/listen 80;/listen 127.0.0.1:$http_port;/" -e "s/listen 443 /listen 127.0.0.1:$https_port /" \
  "$here/nginx-hotline.conf" > "$work/site.conf"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    include $work/site.conf;
}
CONF
nginx -t -q -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf"
echo "nginx -t: docs/deploy/nginx-hotline.conf ok"
