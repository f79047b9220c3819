#!/usr/bin/env bash
# Trains detente with its default settings on each corpus's training split and evaluates on its test split.
# Usage: benches/quality.sh [DATA_ROOT]   (default: ../shared/corpora, or $DETENTE_DATA)
# Prints one line per corpus: the metric, its value, and the training time (wall clock, read + vectorize + fit).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-${DETENTE_DATA:-../shared/corpora}}
[ -d "$data" ] || { echo "no corpora at $data" >&2; exit 1; }
cargo build --release --quiet
bin=target/release/detente
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | metric (json path under heads.HEAD) | head | train args | test args
run() {
  local name=$1 metric=$2 head=$3 train=$4 test=$5
  local start end file=${1//\//-}
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  $bin train --quiet $train --output "$work/$file.detente"
  end=$(date +%s.%N)
  # shellcheck disable=SC2086
  $bin eval --quiet --format json --model "$work/$file.detente" $test --head "$head" > "$work/$file.json"
  python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['heads'][sys.argv[2]]; print(f'{sys.argv[3]:<28} {sys.argv[4]:<10} {r[sys.argv[4]]:.4f}   trained in {float(sys.argv[6])-float(sys.argv[5]):.1f}s')" \
    "$work/$file.json" "$head" "$name" "$metric" "$start" "$end"
}

run 20news-bydate accuracy label "--data $data/20news-bydate/train" "--data $data/20news-bydate/test"
run r8 accuracy Class "--data $data/r8/r8-train-all-terms.txt --input-format tsv --text-field Example --label-field Class" \
  "--data $data/r8/r8-test-all-terms.txt --input-format tsv --text-field Example"
run nyt-cap accuracy label "--data $data/nyt-cap/train.jsonl" "--data $data/nyt-cap/test.jsonl"
run tone/conflibert-cameo accuracy label "--data $data/tone/conflibert-cameo/train.jsonl" "--data $data/tone/conflibert-cameo/test.jsonl"
run reuters21578 micro_f1 labels "--data $data/reuters21578/train.jsonl --label-field labels" "--data $data/reuters21578/test.jsonl"
