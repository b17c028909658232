#!/usr/bin/env bash
# How long a clean debug build of the crate holding the built-in API spends on the code
# generated from spec/xpay.yaml, now and at a baseline commit, in one run on one machine.
#
# For each tree (HEAD, and BASE: the last commit where xpay-runtime expanded the spec itself),
# in a scratch copy: build the dependencies, then build the API crate alone three times with the
# real spec and three times with a minimal spec that generates almost nothing, and print the
# medians as a Markdown table. The crate is built alone (`-p`), so only its own default features
# are on: in a workspace build, feature unification would turn both serde directions on.
#
#   bash xpay/benches/compile_time.sh [BASE]     # BASE defaults to 5861226
set -euo pipefail
base=${1:-5861226}
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
target=${CARGO_TARGET_DIR:-$root/target}/compile-time

minimal_spec() {
  # No actions, one event: the crate still compiles.
  cat <<'YAML'
version: 1
actions: []
envelope:
  Event: { type: string }
events:
  - name: placeholder
    fields:
      A: { type: string }
YAML
}

# $1: tree dir, $2: package, $3: spec path inside the tree
time_build() {
  local dir=$1 pkg=$2 times=()
  for _ in 1 2 3; do
    (cd "$dir" && CARGO_TARGET_DIR=$target cargo clean -q -p "$pkg" 2>/dev/null) || true
    local start end
    start=$(date +%s.%N)
    (cd "$dir" && CARGO_TARGET_DIR=$target cargo build -q -p "$pkg")
    end=$(date +%s.%N)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 2p
}

# $1: label, $2: commit, $3: package, $4: spec path inside the tree
measure() {
  local label=$1 commit=$2 pkg=$3 spec=$4 dir="$scratch/$1"
  mkdir -p "$dir"
  (cd "$root" && git archive "$commit") | tar -xf - -C "$dir"
  # The spec is reached through a symlink in the crate; write the real file it points to.
  (cd "$dir" && CARGO_TARGET_DIR=$target cargo build -q -p "$pkg")
  local full none
  full=$(time_build "$dir" "$pkg")
  minimal_spec > "$dir/spec/xpay.yaml"
  (cd "$dir" && CARGO_TARGET_DIR=$target cargo build -q -p "$pkg")
  none=$(time_build "$dir" "$pkg")
  local delta
  delta=$(awk -v a="$full" -v b="$none" 'BEGIN { printf "%.1f", a - b }')
  echo "| $label | \`$pkg\` | $full s | $none s | $delta s |"
}

echo "| tree | crate built alone (debug) | with spec/xpay.yaml | with a minimal spec | spent on the generated code |"
echo "|---|---|---|---|---|"
measure "before ($base)" "$base" xpay-runtime spec/xpay.yaml
measure "after ($(cd "$root" && git rev-parse --short HEAD))" HEAD xpay spec/xpay.yaml
