# Puts Node.js 24 first on PATH when the machine's node is older than 22.19 (or missing), from
# the npm registry's `node` package, which ships the binary. Source it: `. scripts/node.sh`.
# When Node 24 cannot be had, it says why and returns non-zero, so `. scripts/node.sh && …` stops.
_pb_new_enough() {
  [ "$(node -e 'const [a,b]=process.versions.node.split(".").map(Number);console.log(a>22||(a===22&&b>=19)?1:0)' 2>/dev/null)" = 1 ]
}
_pb_status=0
if ! _pb_new_enough; then
  _pb_dir="${PATCHBAY_NODE_DIR:-$HOME/.cache/patchbay-node24}"
  if [ ! -x "$_pb_dir/node_modules/.bin/node" ]; then
    echo "Installing Node.js 24 into $_pb_dir (the machine's node is older than 22.19)" >&2
    npm install --prefix "$_pb_dir" --no-save --no-audit --no-fund node@24 >/dev/null \
      || echo "scripts/node.sh: could not install Node.js 24 from the npm registry (see npm's message above); install Node.js 22.19 or newer yourself." >&2
  fi
  export PATH="$_pb_dir/node_modules/.bin:$PATH"
  if ! _pb_new_enough; then
    echo "scripts/node.sh: no Node.js 22.19 or newer on PATH; patchbay cannot run." >&2
    _pb_status=1
  fi
  unset _pb_dir
fi
unset -f _pb_new_enough
eval "unset _pb_status; return $_pb_status" 2>/dev/null || exit "$_pb_status"
