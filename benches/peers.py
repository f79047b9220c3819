#!/usr/bin/env python3
"""Peer comparison: detente against scikit-learn and fastText on the same splits, in one run.

Every system runs as its own process per phase, on the raw corpus files:

- train:   read the training split, vectorize, fit, write the model;
- predict: load the model, read the test split, predict every document, write the labels.

Each process is timed by wall clock, with its CPU time and peak resident memory from GNU time, so the figures
are whole-process ones (interpreter start-up and imports included for the Python peers, as a user pays them).
Runs are interleaved -- run 1 of every system, then run 2, ... -- and the tables report medians. Accuracy and
macro-F1 are computed here, by the same code for every system, from the labels each one wrote.

Use it through benches/peers.sh, which makes the virtual environment; `peers.py --help` lists the options.
The script is also its own worker: `peers.py worker JSON` runs one peer phase (see `worker`).
"""

import argparse
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> where the splits are (relative to the data root) and how they are read.
CORPORA = {
    "20news": {
        "title": "20 Newsgroups bydate (folders, headers kept)",
        "format": "folder",
        "train": "20news-bydate/train",
        "test": "20news-bydate/test",
        "text_field": None,
        "label_field": "label",
    },
    "nyt-cap": {
        "title": "NYT-CAP",
        "format": "jsonl",
        "train": "nyt-cap/train.jsonl",
        "test": "nyt-cap/test.jsonl",
        "text_field": "text",
        "label_field": "label",
    },
    "r8": {
        "title": "R8",
        "format": "tsv",
        "train": "r8/r8-train-all-terms.txt",
        "test": "r8/r8-test-all-terms.txt",
        "text_field": "Example",
        "label_field": "Class",
    },
}

# The analysis shared by detente's defaults and the scikit-learn peers: unigrams and bigrams, min_df 2,
# sublinear TF, L2 norm. The models' parameters are detente's defaults, so that both sides solve the same
# problem (scikit-learn's own defaults differ: LinearSVC tol 1e-4, LogisticRegression C 1 and max_iter 100,
# ComplementNB alpha 1).
SKLEARN_MODELS = {
    "svc": {"C": 1.0, "tol": 0.5, "max_iter": 1000},
    "logreg": {"C": 10.0, "tol": 1e-4, "max_iter": 200},
    "cnb": {"alpha": 0.3},
}
MIN_DF = 2
# fastText's tutorial recipe for accuracy (`-lr 1.0 -epoch 25 -wordNgrams 2`); other settings are its defaults
# (dim 100, 2M buckets, softmax). With its default lr of 0.1, 25 epochs underfit: 0.40 accuracy on 20 Newsgroups.
FASTTEXT = {"wordNgrams": 2, "epoch": 25, "lr": 1.0}
SEED = 42

# name -> (kind, setting, the detente system a peer is compared with, description)
SYSTEMS = {
    "detente-svm": ("detente", "svm", None, "detente, svm (default)"),
    "detente-logreg": ("detente", "logreg", None, "detente, logreg"),
    "detente-cnb": ("detente", "cnb", None, "detente, cnb"),
    "sklearn-svc": ("sklearn", "svc", "detente-svm", "scikit-learn TfidfVectorizer + LinearSVC"),
    "sklearn-logreg": ("sklearn", "logreg", "detente-logreg", "scikit-learn TfidfVectorizer + LogisticRegression"),
    "sklearn-cnb": ("sklearn", "cnb", "detente-cnb", "scikit-learn TfidfVectorizer + ComplementNB"),
    "fasttext": ("fasttext", None, "detente-svm", "fastText supervised, bigrams, 25 epochs"),
}

# Issue targets: (key, description, comparison, threshold).
TARGETS = [
    ("train_vs_svc", "training time vs scikit-learn TfidfVectorizer + LinearSVC", ">=", 10.0),
    ("train_vs_fasttext", "training time vs fastText (bigrams, 25 epochs)", ">=", 5.0),
    ("predict_vs_svc", "prediction throughput vs scikit-learn (LinearSVC pipeline)", ">=", 5.0),
    ("memory_vs_svc", "peak memory while training vs scikit-learn (LinearSVC pipeline)", "<=", 0.5),
    ("accuracy_vs_best", "accuracy minus scikit-learn's best linear model", ">=", -0.005),
    ("vectorize_fit_mb_s", "vectorizing throughput on one core, fit_transform (training), MB/s", ">=", 50.0),
    ("vectorize_transform_mb_s", "vectorizing throughput on one core, transform (prediction), MB/s", ">=", 50.0),
]


# ---------------------------------------------------------------------------------------------------------
# Reading corpora (the runner, for the gold labels, and the Python peers, for their input)


def read_split(fmt, path, text_field, label_field):
    """Returns [(key, text, label)] in file order.

    Keys match what `detente predict` prints as `input`: the path relative to the root for a folder corpus,
    the 1-based line number for JSON lines and TSV. Text is decoded as UTF-8 with invalid bytes replaced, as
    detente does.
    """
    docs = []
    if fmt == "folder":
        for label in sorted(os.listdir(path), key=os.fsencode):
            sub = os.path.join(path, label)
            if label.startswith(".") or not os.path.isdir(sub):
                continue
            for name in sorted(os.listdir(sub), key=os.fsencode):
                if name.startswith("."):
                    continue
                with open(os.path.join(sub, name), "rb") as f:
                    text = f.read().decode("utf-8", "replace")
                docs.append((f"{label}/{name}", text, label))
    elif fmt == "jsonl":
        with open(path, encoding="utf-8-sig") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    record = json.loads(line)
                    docs.append((number, record[text_field], record.get(label_field)))
    elif fmt == "tsv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            header = None
            for number, line in enumerate(f, 1):
                cells = line.rstrip("\r\n").split("\t")
                if header is None:
                    header = {name: i for i, name in enumerate(cells)}
                    continue
                if line.strip():
                    label = cells[header[label_field]] if label_field in header else None
                    docs.append((number, cells[header[text_field]], label))
    else:
        raise ValueError(f"unknown format {fmt}")
    if not docs:
        raise SystemExit(f"error: no documents in {path}")
    return docs


def read(split):
    return read_split(split["format"], split["path"], split["text_field"], split["label_field"])


def detente_key(input_name, fmt, root):
    """The `read_split` key of a `detente predict` record's `input`."""
    if fmt == "folder":
        return os.path.relpath(input_name, root).replace(os.sep, "/")
    return int(input_name.rsplit(":", 1)[1])


# ---------------------------------------------------------------------------------------------------------
# Workers: one peer phase per process. They print a JSON object of in-process phase times on stdout.

PUNCT = re.compile(r"([^\w\s])")


def fasttext_text(text):
    """fastText splits on white space only: lowercase and set punctuation apart, as its tutorials do."""
    return " ".join(PUNCT.sub(r" \1 ", text.lower()).split())


def fasttext_label(label):
    return "__label__" + "_".join(label.split())


def worker(job):
    start = time.perf_counter()
    times = {}

    def mark(name):
        times[name] = time.perf_counter() - start - sum(times.values())

    split = job["split"]
    if job["system"] == "sklearn":
        import pickle

        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.naive_bayes import ComplementNB
        from sklearn.svm import LinearSVC

        mark("import_s")
        docs = read(split)
        texts = [d[1] for d in docs]
        mark("read_s")
        if job["phase"] == "train":
            params = dict(SKLEARN_MODELS[job["model"]], **job.get("overrides", {}))
            min_df = params.pop("min_df", MIN_DF)
            vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True)
            x = vectorizer.fit_transform(texts)
            mark("vectorize_s")
            if job["model"] == "svc":
                model = LinearSVC(dual=True, random_state=SEED, **params)
            elif job["model"] == "logreg":
                model = LogisticRegression(random_state=SEED, **params)
            else:
                model = ComplementNB(**params)
            model.fit(x, [d[2] for d in docs])
            mark("fit_s")
            with open(job["model_path"], "wb") as f:
                pickle.dump((vectorizer, model), f, protocol=5)
            mark("save_s")
            extra = {"features": x.shape[1], "nnz": int(x.nnz)}
        else:
            with open(job["model_path"], "rb") as f:
                vectorizer, model = pickle.load(f)
            mark("load_s")
            predicted = model.predict(vectorizer.transform(texts))
            mark("predict_s")
            with open(job["output"], "w", encoding="utf-8") as f:
                f.writelines(f"{label}\n" for label in predicted)
            mark("write_s")
            extra = {}
    elif job["system"] == "fasttext":
        import fasttext

        mark("import_s")
        docs = read(split)
        lines = [fasttext_text(d[1]) for d in docs]
        mark("read_s")
        if job["phase"] == "train":
            labelled = [f"{fasttext_label(d[2])} {line}\n" for d, line in zip(docs, lines)]
            random.Random(SEED).shuffle(labelled)
            input_path = job["model_path"] + ".txt"
            with open(input_path, "w", encoding="utf-8") as f:
                f.writelines(labelled)
            mark("prepare_s")
            model = fasttext.train_supervised(input=input_path, thread=job["threads"], verbose=0, **FASTTEXT)
            mark("fit_s")
            os.remove(input_path)
            model.save_model(job["model_path"])
            mark("save_s")
            extra = {"words": len(model.words)}
        else:
            model = fasttext.load_model(job["model_path"])
            mark("load_s")
            predicted, _ = model.predict(lines, k=1)
            mark("predict_s")
            with open(job["output"], "w", encoding="utf-8") as f:
                f.writelines(f"{p[0][len('__label__'):]}\n" for p in predicted)
            mark("write_s")
            extra = {}
    else:
        raise SystemExit(f"error: unknown worker system {job['system']}")
    times["total_s"] = time.perf_counter() - start
    text_bytes = sum(len(d[1].encode("utf-8")) for d in docs)
    print(json.dumps(dict(times, docs=len(docs), text_bytes=text_bytes, **extra)))


# ---------------------------------------------------------------------------------------------------------
# Measuring a process


class ProcessFailed(Exception):
    pass


TIME = "/usr/bin/time"


def measure(cmd, env, stdout_path, stderr_path):
    """Runs `cmd` to completion: wall seconds, CPU seconds (user + system) and peak RSS in MiB.

    CPU time and peak memory come from GNU time, which forks the command itself. On Linux a process's peak
    RSS starts from that of the process it was forked from (exec keeps the high-water mark of the replaced
    address space), so a command forked straight from this script would never report less than the script's
    own peak; GNU time's is about 1 MiB.
    """
    stats = stderr_path + ".time"
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        started = time.perf_counter()
        code = subprocess.run([TIME, "-f", "%U %S %M", "-o", stats] + cmd, stdout=out, stderr=err, env=env).returncode
        wall = time.perf_counter() - started
    if code != 0:
        with open(stderr_path, encoding="utf-8", errors="replace") as f:
            tail = f.read()[-2000:]
        raise ProcessFailed(f"exit {code}: {shlex.join(cmd)}\n{tail}")
    with open(stats, encoding="utf-8") as f:
        user, system, max_rss_kib = f.read().split()[-3:]
    os.remove(stats)
    return {"wall_s": wall, "cpu_s": float(user) + float(system), "max_rss_mib": int(max_rss_kib) / 1024.0}


# ---------------------------------------------------------------------------------------------------------
# Metrics


def scores(gold, predicted):
    """Accuracy and macro-F1 (scikit-learn's definition: over labels in either list, 0 where undefined)."""
    labels = sorted(set(gold) | set(predicted))
    tp = {label: 0 for label in labels}
    n_gold = {label: 0 for label in labels}
    n_pred = {label: 0 for label in labels}
    for g, p in zip(gold, predicted):
        n_gold[g] += 1
        n_pred[p] += 1
        if g == p:
            tp[g] += 1
    f1s = []
    for label in labels:
        denominator = n_gold[label] + n_pred[label]
        f1s.append(2.0 * tp[label] / denominator if denominator else 0.0)
    return {"accuracy": sum(tp.values()) / len(gold), "macro_f1": sum(f1s) / len(f1s)}


# ---------------------------------------------------------------------------------------------------------
# The runner


class Runner:
    def __init__(self, args):
        self.args = args
        self.work = args.work or tempfile.mkdtemp(prefix="detente-peers-")
        os.makedirs(self.work, exist_ok=True)
        os.makedirs(args.out, exist_ok=True)
        self.env = dict(os.environ)
        for name in ("RAYON_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            self.env[name] = str(args.threads)
        self.records = []
        self.meta = environment(args)
        self.gold = {}

    # -- bookkeeping

    def save(self, **extra):
        with open(os.path.join(self.args.out, "peers.json"), "w", encoding="utf-8") as f:
            json.dump({"meta": self.meta, "records": self.records, **extra}, f, indent=1)

    def record(self, **fields):
        self.records.append(fields)
        self.save()
        detail = " ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
            for k, v in fields.items()
            if k in ("wall_s", "cpu_s", "max_rss_mib", "accuracy", "macro_f1")
        )
        where = f"{fields['corpus']} {fields['system']} {fields['phase']}"
        print(f"  run {fields['run']}  {where:<38} {detail}", file=sys.stderr, flush=True)

    def split(self, corpus, which):
        spec = CORPORA[corpus]
        return {
            "format": spec["format"],
            "path": os.path.join(self.args.data, spec[which]),
            "text_field": spec["text_field"] or "text",
            "label_field": spec["label_field"],
        }

    # -- detente

    def detente_format_args(self, split, with_labels):
        args = []
        if split["format"] == "tsv":
            args += ["--input-format", "tsv", "--text-field", split["text_field"]]
        elif split["format"] == "jsonl" and split["text_field"] != "text":
            args += ["--text-field", split["text_field"]]
        if with_labels and split["format"] != "folder":
            args += ["--label-field", split["label_field"]]
        return args

    def detente_train(self, split, algorithm, model_path, extra=(), env=None):
        cmd = [self.args.detente, "train", "--quiet", "--data", split["path"], "--algorithm", algorithm]
        cmd += self.detente_format_args(split, True) + list(extra) + ["--output", model_path]
        return measure(cmd, env or self.env, model_path + ".out", model_path + ".err")

    def detente_predict(self, split, model_path, output):
        cmd = [self.args.detente, "predict", "--model", model_path, "--format", "jsonl", "--top-k", "1"]
        cmd += self.detente_format_args(split, False) + [split["path"]]
        figures = measure(cmd, self.env, output, output + ".err")
        head = split["label_field"]
        predicted = {}
        with open(output, encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                key = detente_key(record["input"], split["format"], split["path"])
                predicted[key] = record["heads"][head]["label"]
        return figures, predicted

    def detente_eval(self, split, model_path):
        cmd = [self.args.detente, "eval", "--quiet", "--format", "json", "--model", model_path]
        cmd += self.detente_format_args(split, False) + ["--data", split["path"], "--head", split["label_field"]]
        out = subprocess.run(cmd, env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise ProcessFailed(f"exit {out.returncode}: {shlex.join(cmd)}\n{out.stderr[-2000:]}")
        return json.loads(out.stdout)["heads"][split["label_field"]]

    # -- Python peers

    def worker(self, system, phase, split, model_path, output=None, model=None, overrides=None):
        job = {
            "system": system,
            "phase": phase,
            "split": split,
            "model_path": model_path,
            "output": output,
            "model": model,
            "threads": self.args.threads,
            "overrides": overrides or {},
        }
        cmd = [self.args.python, os.path.abspath(__file__), "worker", json.dumps(job)]
        stdout = (output or model_path) + ".json"
        figures = measure(cmd, self.env, stdout, stdout + ".err")
        with open(stdout, encoding="utf-8") as f:
            figures["internal"] = json.loads(f.read())
        return figures

    # -- one system on one corpus: train, predict, score

    def run_system(self, run, corpus, name):
        kind, setting, _, _ = SYSTEMS[name]
        train, test = self.split(corpus, "train"), self.split(corpus, "test")
        gold = self.gold[corpus]
        base = os.path.join(self.work, f"{corpus}-{name}")
        output = base + ".predictions"
        if kind == "detente":
            model_path = base + ".detente"
            figures = self.detente_train(train, setting, model_path)
            self.record(run=run, corpus=corpus, system=name, phase="train", **figures)
            figures, by_key = self.detente_predict(test, model_path, output)
            missing = [key for key, _ in gold if key not in by_key]
            if missing or len(by_key) != len(gold):
                raise SystemExit(f"error: {name} predicted {len(by_key)} documents of {len(gold)} ({missing[:3]})")
            predicted = [by_key[key] for key, _ in gold]
            result = scores([label for _, label in gold], predicted)
            if run == 1:
                # The mapping from detente's output to the gold labels must agree with detente's own eval.
                own = self.detente_eval(test, model_path)
                if abs(own["accuracy"] - result["accuracy"]) > 1e-9 or abs(own["macro_f1"] - result["macro_f1"]) > 1e-9:
                    raise SystemExit(f"error: {corpus} {name}: scores {result} disagree with detente eval {own}")
        else:
            model_path = base + (".pickle" if kind == "sklearn" else ".bin")
            figures = self.worker(kind, "train", train, model_path, model=setting)
            self.record(run=run, corpus=corpus, system=name, phase="train", **figures)
            figures = self.worker(kind, "predict", test, model_path, output=output, model=setting)
            with open(output, encoding="utf-8") as f:
                predicted = [line.rstrip("\n") for line in f]
            if kind == "fasttext":
                back = {fasttext_label(label)[len("__label__"):]: label for _, label in gold}
                predicted = [back.get(p, p) for p in predicted]
            if len(predicted) != len(gold):
                raise SystemExit(f"error: {name} predicted {len(predicted)} documents of {len(gold)}")
            result = scores([label for _, label in gold], predicted)
        figures["docs_per_s"] = len(gold) / figures["wall_s"]
        self.record(run=run, corpus=corpus, system=name, phase="predict", **figures, **result)
        for path in (model_path, output):
            if os.path.exists(path):
                os.remove(path)

    def vectorize_speed(self, run, corpus):
        """detente's vectorizer alone on the training split (`examples/vectorize_speed.rs`: fit_transform, then
        transform twice), on one thread and on two; the example's hashes of the output show it is the same."""
        train = self.split(corpus, "train")
        example = os.path.join(os.path.dirname(self.args.detente), "examples", "vectorize_speed")
        for threads in (1, 2):
            cmd = [example, train["path"], "--repeats", "3"] + self.detente_format_args(train, False)
            env = dict(self.env, RAYON_NUM_THREADS=str(threads))
            out = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise ProcessFailed(f"exit {out.returncode}: {shlex.join(cmd)}\n{out.stderr[-2000:]}")
            self.record(run=run, corpus=corpus, system="detente-vectorize", phase="vectorize", threads=threads,
                        **parse_vectorize_speed(out.stdout))

    def comparison(self):
        self.text_bytes = {}
        for corpus in self.args.corpora:
            test = self.split(corpus, "test")
            self.gold[corpus] = [(d[0], d[2]) for d in read(test)]
            train_docs = read(self.split(corpus, "train"))
            self.text_bytes[corpus] = sum(len(d[1].encode("utf-8")) for d in train_docs)
        for run in range(1, self.args.runs + 1):
            print(f"run {run} of {self.args.runs}", file=sys.stderr, flush=True)
            for corpus in self.args.corpora:
                # Rotate the order from run to run, so that no system always runs right after a given one.
                order = self.args.systems[(run - 1) % len(self.args.systems) :] + self.args.systems[: (run - 1) % len(self.args.systems)]
                for name in order:
                    self.run_system(run, corpus, name)
                if self.args.vectorize:
                    self.vectorize_speed(run, corpus)

    # -- scaling: 20 Newsgroups train replicated

    def scaling(self):
        docs = read(self.split("20news", "train"))
        test = self.split("20news", "test")
        text_mb = sum(len(d[1].encode("utf-8")) for d in docs) / 1e6
        files = {}
        for k in self.args.scaling:
            path = os.path.join(self.work, f"20news-train-x{k}.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                for _ in range(k):
                    for _, text, label in docs:
                        f.write(json.dumps({"text": text, "label": label}) + "\n")
            files[k] = path
        for run in range(1, self.args.scaling_runs + 1):
            print(f"scaling run {run} of {self.args.scaling_runs}", file=sys.stderr, flush=True)
            for k in self.args.scaling:
                # k copies of every document: min_df k·2 keeps the 1× vocabulary, and C/k the 1× objective
                # (each document's loss counts k times), so the model should be the same at every scale.
                split = {"format": "jsonl", "path": files[k], "text_field": "text", "label_field": "label"}
                base = os.path.join(self.work, f"scale-x{k}")
                common = dict(run=run, corpus=f"20news x{k}", scale=k, docs=len(docs) * k, text_mb=text_mb * k)
                extra = ["--min-df", str(MIN_DF * k), "--C", repr(1.0 / k)]
                figures = self.detente_train(split, "svm", base + ".detente", extra=extra)
                if run == 1:
                    figures["accuracy"] = self.detente_eval(test, base + ".detente")["accuracy"]
                os.remove(base + ".detente")
                self.record(system="detente-svm", phase="scaling", **common, **figures)
                if k in self.args.scaling_peers:
                    overrides = {"min_df": MIN_DF * k, "C": 1.0 / k}
                    figures = self.worker("sklearn", "train", split, base + ".pickle", model="svc", overrides=overrides)
                    os.remove(base + ".pickle")
                    self.record(system="sklearn-svc", phase="scaling", **common, **figures)
        for path in files.values():
            os.remove(path)


# ---------------------------------------------------------------------------------------------------------
# Environment and report


def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "unknown"


def environment(args):
    from importlib import metadata

    def version(package):
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "not installed"

    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as f:
        mem_kib = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    commit = first_line(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"])
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": os.environ.get("PEERS_COMMAND") or shlex.join(sys.argv),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "load_at_start": os.getloadavg(),
        "detente": first_line([args.detente, "--version"]),
        "commit": commit + (" (uncommitted changes)" if dirty else ""),
        "rustc": first_line(["rustc", "--version"]),
        "python": platform.python_version(),
        "scikit-learn": version("scikit-learn"),
        "numpy": version("numpy"),
        "scipy": version("scipy"),
        "fasttext": "fasttext-numpy2 " + version("fasttext-numpy2"),
        "threads": args.threads,
        "runs": args.runs,
        "scaling_runs": args.scaling_runs,
        "sklearn": {"TfidfVectorizer": {"ngram_range": [1, 2], "min_df": MIN_DF, "sublinear_tf": True}, **SKLEARN_MODELS},
        "fasttext_params": dict(FASTTEXT, thread=args.threads, input_shuffle_seed=SEED),
        "data": os.path.abspath(args.data),
    }


def median(records, field):
    values = [r[field] for r in records if r.get(field) is not None]
    return statistics.median(values) if values else None


VECTORIZE_LINE = re.compile(r"^(fit_transform|transform, 1st|transform)\s+([\d.]+) MB/CPU-s\s+"
                            r"\(median CPU [\d.]+s, wall [\d.]+s, ([\d.]+) MB/s wall")
VECTORIZE_KEYS = {"fit_transform": "fit", "transform, 1st": "first", "transform": "transform"}


def parse_vectorize_speed(stdout):
    """{fit,first,transform}_{cpu,wall}_mb_s and the output hashes from `vectorize_speed`'s report."""
    figures = {}
    for line in stdout.splitlines():
        if line.startswith("hashes:"):
            figures["hashes"] = line.split(":", 1)[1].strip()
        m = VECTORIZE_LINE.match(line)
        if m:
            key = VECTORIZE_KEYS[m.group(1)]
            figures[f"{key}_cpu_mb_s"] = float(m.group(2))
            figures[f"{key}_wall_mb_s"] = float(m.group(3))
    missing = [k for k in ("hashes", "fit_cpu_mb_s", "first_cpu_mb_s", "transform_cpu_mb_s") if k not in figures]
    if missing:
        raise ProcessFailed(f"vectorize_speed printed no {', '.join(missing)}:\n{stdout[-2000:]}")
    return figures


def fmt(value, spec="{:.2f}", missing="—"):
    return missing if value is None else spec.format(value)


def summarize(records, corpora, systems):
    """{corpus: {system: {train/predict medians}}} from the comparison records."""
    out = {}
    for corpus in corpora:
        out[corpus] = {}
        for name in systems:
            train = [r for r in records if r["corpus"] == corpus and r["system"] == name and r["phase"] == "train"]
            pred = [r for r in records if r["corpus"] == corpus and r["system"] == name and r["phase"] == "predict"]
            if not train or not pred:
                continue
            out[corpus][name] = {
                "train_wall": median(train, "wall_s"),
                "train_cpu": median(train, "cpu_s"),
                "train_rss": median(train, "max_rss_mib"),
                "predict_wall": median(pred, "wall_s"),
                "predict_cpu": median(pred, "cpu_s"),
                "predict_rss": median(pred, "max_rss_mib"),
                "docs_per_s": median(pred, "docs_per_s"),
                "accuracy": median(pred, "accuracy"),
                "macro_f1": median(pred, "macro_f1"),
                "runs": len(train),
            }
        # (Runs recorded before the vectorizer was measured alone have no `threads`, and are left out.)
        vec = [r for r in records if r["corpus"] == corpus and r["phase"] == "vectorize" and "threads" in r]
        if vec:
            out[corpus]["vectorize"] = {
                threads: {key: median(runs, key) for key in
                          [f"{k}_{c}_mb_s" for k in VECTORIZE_KEYS.values() for c in ("cpu", "wall")]}
                for threads in (1, 2)
                if (runs := [r for r in vec if r["threads"] == threads])
            }
            out[corpus]["vectorize_identical"] = len({r["hashes"] for r in vec}) == 1
        svc = [r for r in records if r["corpus"] == corpus and r["system"] == "sklearn-svc" and r["phase"] == "train"]
        if svc:
            mb = statistics.median(r["internal"]["text_bytes"] / 1e6 / r["internal"]["vectorize_s"] for r in svc)
            out[corpus]["sklearn_vectorize_mb_s"] = mb
    return out


def against(name, present):
    """The detente system a peer is compared with: the same kind of model if it ran, else the default."""
    wanted = SYSTEMS[name][2]
    return wanted if wanted in present else "detente-svm" if "detente-svm" in present else None


def targets(summary):
    """{corpus: {target key: (value, cpu value or None)}}."""
    out = {}
    for corpus, systems in summary.items():
        d = systems.get("detente-svm")
        got = {}
        if d:
            for key, peer in (("train_vs_svc", "sklearn-svc"), ("train_vs_fasttext", "fasttext")):
                if peer in systems:
                    p = systems[peer]
                    got[key] = (p["train_wall"] / d["train_wall"], p["train_cpu"] / d["train_cpu"])
            if "sklearn-svc" in systems:
                p = systems["sklearn-svc"]
                got["predict_vs_svc"] = (d["docs_per_s"] / p["docs_per_s"], p["predict_cpu"] / d["predict_cpu"])
                got["memory_vs_svc"] = (d["train_rss"] / p["train_rss"], None)
            best = [systems[n]["accuracy"] for n in systems if n.startswith("sklearn-")]
            if best:
                got["accuracy_vs_best"] = (d["accuracy"] - max(best), None)
        one = systems.get("vectorize", {}).get(1)
        if one:
            got["vectorize_fit_mb_s"] = (one["fit_wall_mb_s"], one["fit_cpu_mb_s"])
            got["vectorize_transform_mb_s"] = (one["transform_wall_mb_s"], one["transform_cpu_mb_s"])
        out[corpus] = got
    return out


def met(value, op, threshold):
    return value >= threshold if op == ">=" else value <= threshold


def markdown(meta, records, corpora, systems):
    lines = []
    m = meta
    lines.append(f"Measured {m['date']} on {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}; "
                 f"load average at start {m['load_at_start'][0]:.2f}.")
    lines.append(f"Versions: {m['detente']} (commit {m['commit']}), {m['rustc']}, Python {m['python']}, scikit-learn "
                 f"{m['scikit-learn']} (numpy {m['numpy']}, scipy {m['scipy']}), {m['fasttext']}.")
    lines.append(f"Command: `{m['command']}` — {m['runs']} run(s) per system, interleaved; medians; "
                 f"{m['threads']} threads allowed to every system.")
    lines.append("")
    summary = summarize(records, corpora, systems)
    if any(summary.values()):
        lines.append("| corpus | system | accuracy | macro-F1 | train s (CPU s) | train peak MiB | predict docs/s | "
                     "predict peak MiB | compared with | train: peer time ÷ detente time | predict: detente docs/s ÷ peer "
                     "docs/s | train memory: detente ÷ peer |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for corpus in corpora:
            got = summary[corpus]
            for name in systems:
                if name not in got:
                    continue
                s = got[name]
                row = [CORPORA[corpus]["title"], SYSTEMS[name][3], fmt(s["accuracy"], "{:.4f}"), fmt(s["macro_f1"], "{:.4f}"),
                       f"{s['train_wall']:.2f} ({s['train_cpu']:.2f})", f"{s['train_rss']:.0f}", f"{s['docs_per_s']:.0f}",
                       f"{s['predict_rss']:.0f}"]
                base = against(name, got) if SYSTEMS[name][0] != "detente" else None
                if base:
                    d = got[base]
                    row += [base.replace("detente-", "detente "), f"{s['train_wall'] / d['train_wall']:.1f}×",
                            f"{d['docs_per_s'] / s['docs_per_s']:.1f}×", f"{d['train_rss'] / s['train_rss']:.2f}"]
                else:
                    row += ["", "", "", ""]
                lines.append("| " + " | ".join(row) + " |")
        lines.append("")
        startup = []
        for kind in ("sklearn", "fasttext"):
            for phase in ("train", "predict"):
                # Interpreter start-up (wall time outside the worker's own clock) plus the imports.
                spent = [r["wall_s"] - r["internal"]["total_s"] + r["internal"]["import_s"] for r in records
                         if r.get("internal") and r["phase"] == phase and SYSTEMS[r["system"]][0] == kind]
                if spent:
                    startup.append(f"{kind} {phase} {statistics.median(spent):.2f} s")
        if startup:
            lines.append("Python start-up and imports, included in the peers' figures above (median over every corpus "
                         "and run): " + ", ".join(startup) + ".")
            lines.append("")
        vec_rows = [(c, summary[c]) for c in corpora if "vectorize" in summary[c]]
        if vec_rows:
            lines.append("Vectorizing throughput: detente's vectorizer alone (`examples/vectorize_speed.rs` on the training "
                         "split, the median of 3 calls in each run), in MB of text per second of wall clock and, in "
                         "brackets, per CPU-second. `transform, 1st` is a fitted vectorizer's first call, which also "
                         "builds its word n-gram index and fills the token caches; `transform` is every later call. "
                         "Same output: the example's hashes of the vectorizer and both matrices agree on 1 and 2 threads. "
                         "scikit-learn's `TfidfVectorizer.fit_transform` alone (in-process) for reference:")
            lines.append("")
            lines.append("| corpus | fit_transform, 1 thread | fit_transform, 2 threads | transform 1st, 1 thread | "
                         "transform, 1 thread | transform, 2 threads | same output | scikit-learn fit_transform |")
            lines.append("|---|---|---|---|---|---|---|---|")
            for corpus, s in vec_rows:
                v = s["vectorize"]

                def cell(threads, key):
                    f = v.get(threads)
                    return f"{f[key + '_wall_mb_s']:.1f} ({f[key + '_cpu_mb_s']:.1f})" if f else "—"

                lines.append(f"| {CORPORA[corpus]['title']} | {cell(1, 'fit')} | {cell(2, 'fit')} | {cell(1, 'first')} | "
                             f"{cell(1, 'transform')} | {cell(2, 'transform')} | "
                             f"{'yes' if s['vectorize_identical'] else 'NO'} | "
                             f"{fmt(s.get('sklearn_vectorize_mb_s'), '{:.1f}')} |")
            lines.append("")
        lines.append("Targets (detente's default, svm; the first figure is from wall clock, the one in brackets from CPU time):")
        lines.append("")
        lines.append("| target | " + " | ".join(CORPORA[c]["title"] for c in corpora) + " |")
        lines.append("|---" * (len(corpora) + 1) + "|")
        got = targets(summary)
        for key, what, op, threshold in TARGETS:
            cells = []
            for corpus in corpora:
                if key not in got[corpus]:
                    cells.append("—")
                    continue
                value, cpu = got[corpus][key]
                unit = "×" if key.endswith(("_svc", "_fasttext")) and not key.startswith("memory") else ""
                spec = "{:+.4f}" if key == "accuracy_vs_best" else "{:.2f}"
                text = spec.format(value) + unit
                if cpu is not None:
                    text += f" ({spec.format(cpu)}{unit})"
                cells.append(text + (" ✓" if met(value, op, threshold) else " ✗"))
            lines.append(f"| {what} {op.replace('>=', '≥').replace('<=', '≤')} {threshold:g} | " + " | ".join(cells) + " |")
        lines.append("")
    scale = [r for r in records if r["phase"] == "scaling"]
    if scale:
        lines.append("Scaling: 20 Newsgroups train as JSON lines, every document repeated k times; min_df 2k and C 1/k "
                     "keep the vocabulary and the objective of 1×. Training only (read + vectorize + fit + write).")
        lines.append("")
        lines.append("| k | docs | text MB | detente train s (CPU s) | ÷ 1× (CPU) | detente peak MiB | ÷ 1× | test accuracy | "
                     "scikit-learn LinearSVC train s (CPU s) | scikit-learn peak MiB |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        ks = sorted({r["scale"] for r in scale})
        first = None
        for k in ks:
            d = [r for r in scale if r["scale"] == k and r["system"] == "detente-svm"]
            p = [r for r in scale if r["scale"] == k and r["system"] == "sklearn-svc"]
            wall, cpu, rss = median(d, "wall_s"), median(d, "cpu_s"), median(d, "max_rss_mib")
            if first is None:
                first = (wall, cpu, rss)
            peer = f"{median(p, 'wall_s'):.1f} ({median(p, 'cpu_s'):.1f})" if p else "—"
            peer_rss = f"{median(p, 'max_rss_mib'):.0f}" if p else "—"
            lines.append(f"| {k} | {d[0]['docs']} | {d[0]['text_mb']:.0f} | {wall:.1f} ({cpu:.1f}) | {wall / first[0]:.1f} ({cpu / first[1]:.1f}) | "
                         f"{rss:.0f} | {rss / first[2]:.1f} | {fmt(median(d, 'accuracy'), '{:.4f}')} | {peer} | {peer_rss} |")
        lines.append("")
    return "\n".join(lines)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Compare detente with scikit-learn and fastText: accuracy, macro-F1, training time, prediction "
        "throughput and peak memory, each system a separate process per phase; medians of interleaved runs.")
    parser.add_argument("--data", default=os.path.normpath(os.path.join(ROOT, "..", "shared", "corpora")),
                        help="corpora root (default: ../shared/corpora beside the project)")
    parser.add_argument("--runs", type=int, default=3, help="runs per system (default 3); the tables show medians")
    parser.add_argument("--corpora", default="20news,nyt-cap,r8", help=f"comma-separated, of {', '.join(CORPORA)}")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated, of {', '.join(SYSTEMS)}")
    parser.add_argument("--no-vectorize", dest="vectorize", action="store_false",
                        help="skip the vectorizing throughput of detente (one and two threads)")
    parser.add_argument("--scaling", default="1,4,16",
                        help="replication factors of 20 Newsgroups train for the scaling table, or `none`")
    parser.add_argument("--scaling-peers", default="1,4",
                        help="factors at which scikit-learn's LinearSVC pipeline is measured too, or `none`")
    parser.add_argument("--scaling-runs", type=int, help="runs of the scaling table (default: --runs)")
    parser.add_argument("--only", choices=["comparison", "scaling"], help="run one part only")
    parser.add_argument("--threads", type=int, default=2,
                        help="threads for every system: fastText's `thread`, RAYON/OMP/OPENBLAS_NUM_THREADS (default 2)")
    parser.add_argument("--detente", default=os.path.join(ROOT, "target", "release", "detente"), help="detente binary")
    parser.add_argument("--python", default=sys.executable, help="Python with scikit-learn and fasttext, for the peers")
    parser.add_argument("--out", default=os.path.join(ROOT, "target", "peers"),
                        help="where peers.json (every run's figures) and peers.md (the tables) go")
    parser.add_argument("--work", help="scratch folder for models and replicated inputs (default: a new temp folder)")
    args = parser.parse_args(argv)

    def names(value, known, what):
        chosen = [] if value in ("", "none") else value.split(",")
        unknown = [c for c in chosen if c not in known]
        if unknown:
            parser.error(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
        return chosen

    def factors(value):
        try:
            ks = [] if value in ("", "none") else [int(k) for k in value.split(",")]
        except ValueError:
            parser.error(f"replication factors must be whole numbers: {value}")
        if any(k < 1 for k in ks):
            parser.error(f"replication factors must be at least 1: {value}")
        return ks

    args.corpora = names(args.corpora, CORPORA, "corpus")
    args.systems = names(args.systems, SYSTEMS, "system")
    args.scaling = factors(args.scaling)
    args.scaling_peers = factors(args.scaling_peers)
    if args.scaling_runs is None:
        args.scaling_runs = args.runs
    if args.runs < 1 or args.scaling_runs < 1:
        parser.error("--runs and --scaling-runs must be at least 1")
    args.data = os.path.abspath(args.data)
    if not os.path.isdir(args.data):
        parser.error(f"no corpora at {args.data} (give --data)")
    if subprocess.run([TIME, "-f", "%M", "-o", os.devnull, "true"], capture_output=True).returncode != 0:
        parser.error(f"measuring needs GNU time at {TIME} (Debian/Ubuntu package `time`)")
    if not os.access(args.detente, os.X_OK):
        parser.error(f"no detente binary at {args.detente} (cargo build --release, or give --detente)")
    return args


def main(argv):
    if argv[:1] == ["worker"]:
        worker(json.loads(argv[1]))
        return 0
    if argv[:1] == ["report"]:
        # Rebuild the tables from a saved peers.json.
        if len(argv) != 2:
            raise SystemExit("usage: peers.py report PEERS_JSON")
        with open(argv[1], encoding="utf-8") as f:
            saved = json.load(f)
        records = saved["records"]
        corpora = [c for c in CORPORA if any(r["corpus"] == c for r in records)]
        systems = [n for n in SYSTEMS if any(r["system"] == n for r in records)]
        print(markdown(saved["meta"], records, corpora, systems))
        return 0
    args = parse_args(argv)
    runner = Runner(args)
    try:
        if args.only != "scaling" and args.corpora and args.systems:
            runner.comparison()
        if args.only != "comparison" and args.scaling:
            runner.scaling()
    except ProcessFailed as err:
        print(f"error: a measured process failed: {err}", file=sys.stderr)
        return 1
    finally:
        if not args.work:
            shutil.rmtree(runner.work, ignore_errors=True)
    summary = summarize(runner.records, args.corpora, args.systems)
    runner.save(summary=summary, targets={c: {k: v[0] for k, v in t.items()} for c, t in targets(summary).items()})
    report = markdown(runner.meta, runner.records, args.corpora, args.systems)
    with open(os.path.join(args.out, "peers.md"), "w", encoding="utf-8") as f:
        f.write(report + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
