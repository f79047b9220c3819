#!/usr/bin/env bash
# Peak memory of `detente predict` over a stream of N one-line documents on stdin, for growing N: flat figures
# mean it streams. Models: the built-in news model (topic and tone heads, each line also read as an article),
# and a model trained here on the test fixture.
#
#   benches/stream-memory.sh [N...]      (default 10000 100000 1000000)
#   MODELS=fixture benches/stream-memory.sh 1000000 3000000     (one model only: built-in or fixture)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release
detente=target/release/detente
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$detente" train --quiet --min-df 1 --label-field topic --label-field tone \
    --data tests/fixtures/news.jsonl --output "$work/fixture.detente"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)

printf '%-10s %10s %10s %14s\n' model documents seconds "peak RSS MB"
for model in ${MODELS:-built-in fixture}; do
    flags=()
    [ "$model" = fixture ] && flags=(--model "$work/fixture.detente")
    for n in "${sizes[@]}"; do
        # Each line a different headline-sized document, generated as it is read.
        start=$(date +%s.%N)
        out=$(awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
                printf "Troops shelled border villages near post %d as ceasefire talks stalled and markets fell\n", i }' |
            /usr/bin/time -f '%M' -o "$work/rss" "$detente" predict "${flags[@]}" --lines --format jsonl | wc -l)
        end=$(date +%s.%N)
        [ "$out" -eq "$n" ] || { echo "expected $n predictions, got $out" >&2; exit 1; }
        printf '%-10s %10d %10.1f %14.1f\n' "$model" "$n" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
            "$(awk '{ print $1 / 1024 }' "$work/rss")"
    done
done
