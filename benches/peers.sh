#!/usr/bin/env bash
# Peer comparison: detente against scikit-learn (TfidfVectorizer + LinearSVC, LogisticRegression, ComplementNB)
# and fastText supervised, on the same splits, in one run; then the scaling table (20 Newsgroups train ×1, ×4, ×16).
#
# Usage: benches/peers.sh [--venv DIR] [peers.py options...]     (benches/peers.sh --help lists them)
#
# Makes a Python virtual environment (default target/peers-venv; --venv DIR to use or make another), installs
# scikit-learn and fasttext-numpy2 from PyPI into it -- the latest versions, or SKLEARN_VERSION / FASTTEXT_VERSION
# when set -- builds detente in release mode and runs benches/peers.py. The tables go to stdout and
# target/peers/peers.md, every run's figures to target/peers/peers.json, the installed versions to
# target/peers/requirements.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/target/peers-venv
command="benches/peers.sh $*"
if [ "${1:-}" = --venv ]; then
  [ $# -ge 2 ] || { echo "error: --venv needs a folder" >&2; exit 2; }
  venv=$2
  shift 2
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "making a virtual environment in $venv" >&2
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  "scikit-learn${SKLEARN_VERSION:+==$SKLEARN_VERSION}" "fasttext-numpy2${FASTTEXT_VERSION:+==$FASTTEXT_VERSION}"

(cd "$root" && cargo build --release --quiet --bin detente --example vectorize_speed)
mkdir -p "$root/target/peers"
"$venv/bin/python" -m pip freeze --disable-pip-version-check > "$root/target/peers/requirements.txt"

PEERS_COMMAND=$command exec "$venv/bin/python" "$root/benches/peers.py" "$@"
