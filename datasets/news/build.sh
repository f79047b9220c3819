#!/usr/bin/env bash
# Rebuilds the shipped news model, models/news.detente, from ../shared/corpora (or DATA_ROOT), byte for byte.
# Usage: datasets/news/build.sh [DATA_ROOT]        then `git diff --stat models/` shows whether anything changed.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:-${DETENTE_DATA:-../shared/corpora}}
python3 datasets/news/prepare.py "$data" target/news
cargo build --release --quiet
# The recorded training time is pinned so that the file depends on the data and parameters alone.
SOURCE_DATE_EPOCH=1796000000 target/release/detente train --quiet --partial-labels \
  --label-field topic --label-field tone --head-algorithm tone=logreg \
  --data target/news/train.jsonl --output models/news.detente
sha256sum models/news.detente
