#!/usr/bin/env bash
# How long `cargo build -p xpay-runtime` spends on the code generated from spec/xpay.yaml.
#
# Builds xpay-runtime (dependencies already built, only the crate itself rebuilt) three times
# with the real spec and three times with a minimal spec that generates almost nothing, in a
# scratch copy of the workspace, and prints the medians as a Markdown table.
#
#   bash xpay-runtime/benches/compile_time.sh [debug|release]
set -euo pipefail
profile=${1:-debug}
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
target=${CARGO_TARGET_DIR:-$root/target}/compile-time
flags=()
[ "$profile" = release ] && flags=(--release)

mkdir -p "$scratch/ws"
(cd "$root" && tar --exclude=./target --exclude=./.git -cf - .) | tar -xf - -C "$scratch/ws"
cd "$scratch/ws"

minimal_spec() {
  # No actions, one event: the runtime still compiles (it names api::Event and api::SPEC).
  rm -f xpay-runtime/spec/xpay.yaml
  cat > xpay-runtime/spec/xpay.yaml <<'YAML'
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

time_build() {
  local times=()
  for _ in 1 2 3; do
    CARGO_TARGET_DIR=$target cargo clean -q -p xpay-runtime "${flags[@]}" 2>/dev/null || true
    local start end
    start=$(date +%s.%N)
    CARGO_TARGET_DIR=$target cargo build -q -p xpay-runtime "${flags[@]}"
    end=$(date +%s.%N)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 2p
}

# Dependencies first, so only xpay-runtime is timed.
CARGO_TARGET_DIR=$target cargo build -q -p xpay-runtime "${flags[@]}"
full=$(time_build)
minimal_spec
CARGO_TARGET_DIR=$target cargo build -q -p xpay-runtime "${flags[@]}"
none=$(time_build)
delta=$(awk -v a="$full" -v b="$none" 'BEGIN { printf "%.1f", a - b }')
share=$(awk -v a="$full" -v d="$delta" 'BEGIN { printf "%.0f", 100 * d / a }')

echo "| cargo build -p xpay-runtime ($profile), crate only | median of 3 |"
echo "|---|---|"
echo "| with the generated API of spec/xpay.yaml (37 actions) | ${full} s |"
echo "| with a minimal spec (no actions) | ${none} s |"
echo "| spent on the generated code | ${delta} s (${share}%) |"
