#!/usr/bin/env bash
# Fuzzes model loading and every reader (the targets of fuzz/targets.rs).
#
#   benches/fuzz.sh [SECONDS]            stable-Rust driver, SECONDS per target (default 3; what CI runs)
#   benches/fuzz.sh --runs N             stable-Rust driver, N inputs per target
#   benches/fuzz.sh --libfuzzer N [T..]  cargo fuzz (libFuzzer, coverage-guided), N inputs per target
#
# The stable driver needs nothing but cargo. `cargo fuzz` needs cargo-fuzz (`cargo install cargo-fuzz`) and a
# nightly toolchain, or RUSTC_BOOTSTRAP=1 on a stable one. Both start from the same valid seeds (small
# models trained on the test fixture, well-formed corpus files). Crashes are saved under target/fuzz-crashes/
# (stable) or fuzz/artifacts/ (libFuzzer); the exit code is non-zero when anything was found.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-3}" in
--runs)
    exec nice cargo run --quiet --release --example fuzz -- --runs "${2:?--runs N}"
    ;;
--libfuzzer)
    runs="${2:?--libfuzzer N}"
    shift 2
    targets=("$@")
    [ ${#targets[@]} -gt 0 ] || targets=(model jsonl csv tsv fasttext text)
    cargo run --quiet --release --example fuzz -- --write-seeds fuzz/seeds
    if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
        fuzz=(cargo +nightly fuzz)
    else
        export RUSTC_BOOTSTRAP=1
        fuzz=(cargo fuzz)
    fi
    cd fuzz
    for t in "${targets[@]}"; do
        mkdir -p "corpus/$t"
        start=$(date +%s)
        # Models are bigger than corpus lines; -malloc_limit_mb fails any input that allocates 256 MiB at
        # once, far more than any input of at most 256 KiB justifies.
        nice "${fuzz[@]}" run -O -s none "$t" "corpus/$t" "seeds/$t" -- \
            -runs="$runs" -max_len=262144 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 \
            -print_final_stats=1 2>"../target/fuzz-$t.log" || {
            tail -40 "../target/fuzz-$t.log"
            exit 1
        }
        echo "$t: $(grep -E '^stat::number_of_executed_units' "../target/fuzz-$t.log" | awk '{print $2}') inputs in $(($(date +%s) - start)) s, no crash"
    done
    ;;
*)
    exec nice cargo run --quiet --release --example fuzz -- --seconds "$1"
    ;;
esac
