# Puts Node.js 24 first on PATH when the machine's node is older than 22.19 (or missing), from
# the npm registry's `node` package, which ships the binary. Source it: `. scripts/node.sh`.
_pb_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number);console.log(a>22||(a===22&&b>=19)?1:0)' 2>/dev/null || echo 0)
if [ "$_pb_ok" != 1 ]; then
  _pb_dir="${PATCHBAY_NODE_DIR:-$HOME/.cache/patchbay-node24}"
  if [ ! -x "$_pb_dir/node_modules/.bin/node" ]; then
    echo "Installing Node.js 24 into $_pb_dir (the machine's node is older than 22.19)" >&2
    npm install --prefix "$_pb_dir" --no-save --no-audit --no-fund node@24 >/dev/null
  fi
  export PATH="$_pb_dir/node_modules/.bin:$PATH"
fi
unset _pb_ok _pb_dir
