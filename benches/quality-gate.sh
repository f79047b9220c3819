#!/usr/bin/env bash
# Quality gate: trains detente with its default settings on R8 and on the tone set (conflibert-cameo, train → test)
# and fails if test accuracy falls below a floor set just under the figures of benches/quality.sh (last measured
# 2026-11-29: R8 0.9781, tone 0.7178). Run by .ci/run when the corpora are beside the clone.
# Usage: benches/quality-gate.sh [DATA_ROOT]   (default: ../shared/corpora, or $DETENTE_DATA)
# Exit status: 0 when every corpus is at or above its floor, 1 otherwise (or on any error).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-${DETENTE_DATA:-../shared/corpora}}
[ -d "$data" ] || { echo "quality gate: no corpora at $data" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/detente
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

# name | floor | head | train args | test args
gate() {
  local name=$1 floor=$2 head=$3 train=$4 test=$5
  # shellcheck disable=SC2086
  $bin train --quiet $train --output "$work/model.detente"
  # shellcheck disable=SC2086
  $bin eval --quiet --format json --model "$work/model.detente" $test --head "$head" > "$work/eval.json"
  if ! python3 - "$work/eval.json" "$head" "$name" "$floor" <<'EOF'
import json, sys
path, head, name, floor = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
accuracy = json.load(open(path))["heads"][head]["accuracy"]
if accuracy < floor:
    print(f"quality gate: FAILED: {name} accuracy {accuracy:.4f} is below its floor {floor:.3f}", file=sys.stderr)
    sys.exit(1)
print(f"quality gate: {name} accuracy {accuracy:.4f} (floor {floor:.3f})")
EOF
  then
    failed=1
  fi
}

gate r8 0.970 Class "--data $data/r8/r8-train-all-terms.txt --input-format tsv --text-field Example --label-field Class" \
  "--data $data/r8/r8-test-all-terms.txt --input-format tsv --text-field Example"
gate tone/conflibert-cameo 0.705 label "--data $data/tone/conflibert-cameo/train.jsonl" \
  "--data $data/tone/conflibert-cameo/test.jsonl"
exit $failed
