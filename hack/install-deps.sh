#!/usr/bin/env bash
# Installs the Debian packages porch-rs needs, only those missing.
#   hack/install-deps.sh build   → what the build needs (protoc)
#   hack/install-deps.sh test    → plus the real servers the tests start
set -euo pipefail
want=(protoc:protobuf-compiler git:git curl:curl)
if [ "${1:-build}" = test ]; then
  want+=(etcd:etcd-server lighttpd:lighttpd)
fi
missing=()
for pair in "${want[@]}"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
