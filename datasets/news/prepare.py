#!/usr/bin/env python3
"""Prepares the training and evaluation data of the shipped news model from ../shared/corpora.

Deterministic: no randomness beyond MD5 of normalized text, every list sorted or kept in file order.
Writes (under OUT, by default target/news/, never into the repository):
  train.jsonl         text, topic (NYT-CAP policy topic or null), tone (escalation/reconciliation/neutral or null)
  tone-heldout.jsonl  text, tone: held-out real news sentences, mostly neutral as in real news; never tuned on
  topic-test.jsonl    text, topic: the NYT-CAP test split
  dev/train.jsonl, dev/tone-dev.jsonl: the same construction one level down (a development split carved out of
                      train.jsonl), for every tuning decision, so that tone-heldout.jsonl is never tuned on
and prints the counts. See datasets/news/README.md for the reasoning behind each choice.
"""
import hashlib
import json
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DETENTE_DATA", "../shared/corpora")
OUT = sys.argv[2] if len(sys.argv) > 2 else "target/news"

# NYT-CAP topics that report international events; the rest supply real, non-international news for `neutral`.
INTERNATIONAL = {"International Affairs and Foreign Aid", "Defense", "Foreign Trade"}
# Tone sets, in order of preference when the same sentence occurs in several (the first copy is kept).
TONE_SETS = [
    ("tone/conflibert-cameo/train.jsonl", "real"),
    ("tone/petr2-gsr/data.jsonl", None),  # text_origin says which lines are real news
    ("tone/plover-gsr/data.jsonl", "edited"),
    ("tone/cameo-codebook/data.jsonl", "edited"),
    ("tone/conflibert-cameo/test.jsonl", "edited"),
    ("tone/plovigy-reuters/data.jsonl", "machine-coded"),
    ("tone/case2021/data.jsonl", "mixed"),
]
HELDOUT_NEUTRAL_SHARE = 0.70  # most sentences of real news report no act of conflict or cooperation
NYT_NEUTRAL_TRAIN_CAP = 4000
# Machine-generated article-length stories: training only, never evaluation (see the corpus README).
USE_SYNTHETIC = os.environ.get("DETENTE_NEWS_SYNTHETIC", "1") == "1"  # keeps neutral from swamping the two event classes in training


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def norm(text):
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())


def bucket(text, n=5):
    return int(hashlib.md5(norm(text).encode()).hexdigest(), 16) % n


def main():
    build(OUT, dev=False)
    build(os.path.join(OUT, "dev"), dev=True)


def build(out, dev):
    """With `dev`, the held-out fifth is dropped and a second fifth plays its part."""
    seen_text, seen_prefix = set(), set()

    def fresh(text):
        """True the first time a text (or one starting with the same eight words) is met: removes exact and
        edited duplicates across sets, e.g. CAMEO-manual examples that occur in three of them."""
        key = norm(text)
        prefix = " ".join(key.split()[:8])
        if not key or key in seen_text or (len(key.split()) >= 8 and prefix in seen_prefix):
            return False
        seen_text.add(key)
        seen_prefix.add(prefix)
        return True

    train, heldout_events, heldout_neutral_tone = [], [], []
    counts = {}
    for path, origin in TONE_SETS:
        for row in read(path):
            tone = row.get("label")
            if tone == "no_event":
                tone = "neutral"
            if tone not in ("escalation", "reconciliation", "neutral") or not fresh(row["text"]):
                continue
            real = origin == "real" or (origin is None and row.get("text_origin") == "real_news")
            item = {"text": row["text"], "topic": None, "tone": tone}
            # The held-out split: a fifth of the real news sentences, chosen by hash.
            if real and bucket(row["text"]) == 0 and dev:
                continue
            if real and bucket(row["text"]) == (1 if dev else 0):
                (heldout_neutral_tone if tone == "neutral" else heldout_events).append(item)
            else:
                train.append(item)
                counts[(path, tone)] = counts.get((path, tone), 0) + 1

    if USE_SYNTHETIC:
        for row in read("tone/ngec-synthetic/data.jsonl"):
            text = (row.get("title") or "") + "\n\n" + row["text"].strip()
            if row.get("label") in ("escalation", "reconciliation", "neutral") and fresh(text):
                train.append({"text": text, "topic": None, "tone": row["label"]})
                counts[("tone/ngec-synthetic", row["label"])] = counts.get(("tone/ngec-synthetic", row["label"]), 0) + 1

    nyt_neutral_train = 0
    heldout_nyt = []
    for row in read("nyt-cap/train.jsonl"):
        item = {"text": row["text"], "topic": row["label"], "tone": None}
        if row["label"] not in INTERNATIONAL and fresh(row["text"]):
            if bucket(row["text"]) == 0 and dev:
                pass  # outside the development build's world, but still a topic example
            elif bucket(row["text"]) == (1 if dev else 0):
                # Held out from the tone head; the topic head may still learn from it (no tone label leaks).
                heldout_nyt.append({"text": row["text"], "tone": "neutral"})
            elif nyt_neutral_train < NYT_NEUTRAL_TRAIN_CAP and bucket(row["text"], 3) == 1:
                item["tone"] = "neutral"
                nyt_neutral_train += 1
        train.append(item)

    # Held-out mix: every held-out event sentence, and enough neutral real news that neutral is 70%.
    events = heldout_events
    neutral_needed = round(len(events) * HELDOUT_NEUTRAL_SHARE / (1 - HELDOUT_NEUTRAL_SHARE))
    neutral = heldout_neutral_tone + heldout_nyt[: max(0, neutral_needed - len(heldout_neutral_tone))]
    heldout = sorted(events + neutral, key=lambda r: hashlib.md5(r["text"].encode()).hexdigest())
    heldout = [{"text": r["text"], "tone": r["tone"]} for r in heldout]

    topic_test = [{"text": r["text"], "topic": r["label"]} for r in read("nyt-cap/test.jsonl")]

    os.makedirs(out, exist_ok=True)
    names = ["train.jsonl", "tone-dev.jsonl" if dev else "tone-heldout.jsonl", "topic-test.jsonl"]
    for name, rows in zip(names, [train, heldout, topic_test]):
        if dev and name == "topic-test.jsonl":
            continue  # topic settings are tuned by cross-validation on NYT-CAP train, see README
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")

    def tally(rows, field):
        out = {}
        for r in rows:
            if r.get(field) is not None:
                out[r[field]] = out.get(r[field], 0) + 1
        return dict(sorted(out.items()))

    print(f"== {out}")
    print(f"train: {len(train)} documents; tone {tally(train, 'tone')}; {len(tally(train, 'topic'))} topics")
    for (path, tone), n in sorted(counts.items()):
        print(f"  tone training from {path}: {tone} {n}")
    print(f"  tone training from nyt-cap (non-international topics): neutral {nyt_neutral_train}")
    print(f"{names[1]}: {len(heldout)} real news sentences; {tally(heldout, 'tone')}")
    print(f"topic-test: {len(topic_test)} documents")


if __name__ == "__main__":
    main()
