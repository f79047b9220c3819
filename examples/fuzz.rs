//! A fuzzer on stable Rust for detente's untrusted inputs: model files and the corpus readers.
//!
//! ```sh
//! cargo run --release --example fuzz -- [--runs N] [--seconds S] [--seed N] [--timeout S] [TARGET...]
//! cargo run --release --example fuzz -- --write-seeds DIR    # DIR/TARGET/: seed corpora for `cargo fuzz`
//! ```
//!
//! The targets are those of `fuzz/targets.rs` (model, jsonl, csv, tsv, fasttext, text; all by default).
//! Without coverage feedback, it makes up for it with mutations that know the inputs' structure: bit flips,
//! interesting bytes (quotes, delimiters, line ends, NUL, byte-order marks, bytes that are never UTF-8),
//! insertions of format tokens, deletions, duplications, truncations, splices of two inputs, and integer
//! and varint length fields overwritten with huge values, on valid seeds and on earlier mutants. With model
//! images, the target also decodes each mutant with its header length and checksum made consistent, so
//! the mutations reach the manifest and the blocks.
//!
//! Each input runs under `catch_unwind`; a panic is a crash, saved with its input under
//! `target/fuzz-crashes/`. A watchdog aborts the run when one input takes longer than `--timeout` (a
//! hang), and a counting allocator fails any input whose peak allocation exceeds 16 MiB plus eight
//! times its size (an allocation a file asked for rather than one its contents justify). The exit code is
//! non-zero when anything was found.

#[path = "../fuzz/targets.rs"]
mod targets;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let live = LIVE.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocation allowed to one input beyond what it had when it started.
fn allowance(len: usize) -> usize {
    16 * 1024 * 1024 + 8 * len
}

/// Milliseconds since `EPOCH` when the current input started; 0 between inputs.
static STARTED_MS: AtomicU64 = AtomicU64::new(0);

struct Args {
    runs: u64,
    seconds: Option<f64>,
    seed: u64,
    timeout: f64,
    max_len: usize,
    targets: Vec<String>,
    write_seeds: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        runs: 100_000,
        seconds: None,
        seed: 1,
        timeout: 10.0,
        max_len: 1 << 20,
        targets: Vec::new(),
        write_seeds: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--runs" => {
                args.runs = value("--runs")?
                    .parse()
                    .map_err(|e| format!("--runs: {e}"))?
            }
            "--seconds" => {
                args.seconds = Some(
                    value("--seconds")?
                        .parse()
                        .map_err(|e| format!("--seconds: {e}"))?,
                )
            }
            "--seed" => {
                args.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--timeout" => {
                args.timeout = value("--timeout")?
                    .parse()
                    .map_err(|e| format!("--timeout: {e}"))?
            }
            "--max-len" => {
                args.max_len = value("--max-len")?
                    .parse()
                    .map_err(|e| format!("--max-len: {e}"))?
            }
            "--write-seeds" => args.write_seeds = Some(value("--write-seeds")?.into()),
            t if targets::TARGETS.contains(&t) => args.targets.push(t.to_string()),
            other => {
                return Err(format!(
                    "unknown argument {other}; targets: {}",
                    targets::TARGETS.join(", ")
                ));
            }
        }
    }
    if args.targets.is_empty() {
        args.targets = targets::TARGETS.iter().map(|t| t.to_string()).collect();
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(2);
        }
    };
    if let Some(dir) = &args.write_seeds {
        for target in &args.targets {
            let dir = dir.join(target);
            std::fs::create_dir_all(&dir).expect("create the seed folder");
            for (i, seed) in targets::seeds(target).iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i}")), seed).expect("write a seed");
            }
        }
        return;
    }
    start_watchdog(args.timeout);
    // Panics are counted and saved; their messages would drown the summary.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("panic: {info}");
    }));
    let mut failed = false;
    println!(
        "{:<9} {:>10} {:>9} {:>9} {:>8} {:>11} {:>15}",
        "target", "inputs", "accepted", "seconds", "crashes", "max bytes", "peak alloc/size"
    );
    for target in &args.targets {
        failed |= fuzz(target, &args);
    }
    if failed {
        std::process::exit(1);
    }
}

/// Aborts the process when one input runs longer than `timeout` seconds.
fn start_watchdog(timeout: f64) {
    let epoch = Instant::now();
    EPOCH.set(epoch).expect("set once");
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let started = STARTED_MS.load(Ordering::Relaxed);
            let now = epoch.elapsed().as_millis() as u64;
            if started != 0 && now.saturating_sub(started) as f64 > timeout * 1000.0 {
                eprintln!(
                    "hang: one input has run for more than {timeout} s; it is saved in {}",
                    crash_dir().display()
                );
                std::process::exit(3);
            }
        }
    });
}

static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

fn crash_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes")
}

/// Writes `data` where crashes go, named after the target and a hash of the bytes.
fn save(target: &str, kind: &str, data: &[u8]) -> PathBuf {
    let dir = crash_dir();
    let _ = std::fs::create_dir_all(&dir);
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{target}-{kind}-{hash:016x}"));
    let _ = std::fs::write(&path, data);
    path
}

/// Fuzzes one target; returns whether anything was found.
fn fuzz(target: &str, args: &Args) -> bool {
    let seeds = targets::seeds(target);
    // Training the models of the `text` target is not part of any input.
    let _ = targets::models();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed ^ fnv(target));
    let mut pool: Vec<Vec<u8>> = seeds.clone();
    let started = Instant::now();
    let (mut inputs, mut accepted, mut crashes) = (0u64, 0u64, 0u64);
    let (mut max_len, mut worst_ratio) = (0usize, 0f64);
    let mut over_budget = false;
    let epoch = *EPOCH.get().expect("watchdog started");
    loop {
        let done = match args.seconds {
            Some(s) => started.elapsed().as_secs_f64() >= s,
            None => inputs >= args.runs,
        };
        if done {
            break;
        }
        let data = if inputs < seeds.len() as u64 {
            seeds[inputs as usize].clone()
        } else {
            let base = &pool[rng.gen_range(0..pool.len())];
            let other = &seeds[rng.gen_range(0..seeds.len())];
            mutate(base, other, target, &mut rng, args.max_len)
        };
        max_len = max_len.max(data.len());
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        STARTED_MS.store(
            (epoch.elapsed().as_millis() as u64).max(1),
            Ordering::Relaxed,
        );
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| targets::run(target, &data)));
        accepted += u64::from(matches!(outcome, Ok(true)));
        STARTED_MS.store(0, Ordering::Relaxed);
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        worst_ratio = worst_ratio.max(peak as f64 / (data.len().max(1)) as f64);
        if outcome.is_err() {
            crashes += 1;
            let path = save(target, "crash", &data);
            eprintln!("crash in {target}: input saved in {}", path.display());
        }
        if peak > allowance(data.len()) {
            over_budget = true;
            let path = save(target, "alloc", &data);
            eprintln!(
                "{target}: an input of {} bytes allocated {peak} bytes; saved in {}",
                data.len(),
                path.display()
            );
        }
        // Keep some mutants as bases for further mutation, so that mutations stack up.
        if rng.gen_ratio(1, 8) {
            if pool.len() < 256 {
                pool.push(data);
            } else {
                let i = rng.gen_range(seeds.len()..pool.len());
                pool[i] = data;
            }
        }
        inputs += 1;
    }
    println!(
        "{:<9} {:>10} {:>9} {:>9.1} {:>8} {:>11} {:>15.1}",
        target,
        inputs,
        accepted,
        started.elapsed().as_secs_f64(),
        crashes,
        max_len,
        worst_ratio
    );
    crashes > 0 || over_budget
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

const INTERESTING_BYTES: &[u8] = &[
    0, 0xFF, 0xFE, 0x7F, 0x80, 0xC0, 0xC3, 0xE2, 0xED, 0xEF, 0xBB, 0xBF, 0xF0, 0xF4, b'\n', b'\r',
    b'"', b'\'', b',', b'\t', b' ', b'{', b'}', b'[', b']', b':', b'\\', b'_', b'.', b'0', b'9',
    b'-', b'e',
];

const INTERESTING_INTS: &[u64] = &[
    0,
    1,
    2,
    3,
    7,
    8,
    255,
    256,
    65_535,
    1 << 31,
    u32::MAX as u64,
    1 << 32,
    1 << 40,
    1 << 62,
    1 << 63,
    u64::MAX,
    u64::MAX - 7,
];

/// Format tokens inserted whole.
fn tokens(target: &str) -> &'static [&'static [u8]] {
    match target {
        "jsonl" => &[
            b"{\"text\": \"",
            b"\"label\": ",
            b"\"topics\": [",
            b"null",
            b"true",
            b"1e999",
            b"-0",
            b"\\u0000",
            b"\\ud800",
            b"\\\"",
            b"\"\"",
            b"[]",
            b"{}",
            b"\xEF\xBB\xBF",
            b"\r\n",
        ],
        "csv" | "tsv" => &[
            b"text",
            b"label",
            b"topics",
            b"\"\"",
            b"\",\"",
            b"\r\n",
            b"\n\n",
            b",,",
            b"\t\t",
            b"\xEF\xBB\xBF",
            b"\"\r\n\"",
        ],
        "fasttext" => &[
            b"__label__",
            b"__label__x ",
            b" __label__",
            b"\t",
            b"\r\n",
            b"\xEF\xBB\xBF",
        ],
        "text" => &[
            b"\n\n",
            b"\r\n\r\n",
            b". ",
            b"? ",
            b"\"",
            b"Mr. ",
            b"U.S. ",
            b"\xE2\x80\x9C",
            b"\xF0\x9F\x87\xBA\xF0\x9F\x87\xA6",
            b"e\xCC\x81",
            b"\xE2\x80\x8B",
            b"\xEF\xBB\xBF",
            b"\xE6\x9D\xB1\xE4\xBA\xAC",
            b"...",
        ],
        _ => &[b"DETENTE\x1a", b"\x00\x00\x00\x00", b"\xff\xff\xff\xff"],
    }
}

/// One to four stacked mutations of `base`; `other` is spliced with.
fn mutate(
    base: &[u8],
    other: &[u8],
    target: &str,
    rng: &mut ChaCha8Rng,
    max_len: usize,
) -> Vec<u8> {
    let mut data = base.to_vec();
    // Mostly one mutation, sometimes a few: a single change keeps most inputs well-formed enough to
    // get past the first check.
    let count = if rng.gen_bool(0.5) {
        1
    } else {
        rng.gen_range(2..=4)
    };
    for _ in 0..count {
        let len = data.len();
        let at = |rng: &mut ChaCha8Rng| if len == 0 { 0 } else { rng.gen_range(0..len) };
        match rng.gen_range(0..11) {
            0 if len > 0 => {
                let i = at(rng);
                data[i] ^= 1 << rng.gen_range(0..8);
            }
            1 if len > 0 => {
                let i = at(rng);
                data[i] = if rng.gen_bool(0.7) {
                    INTERESTING_BYTES[rng.gen_range(0..INTERESTING_BYTES.len())]
                } else {
                    rng.r#gen()
                };
            }
            2 => {
                let i = at(rng);
                let n = rng.gen_range(1..=8);
                let bytes: Vec<u8> = (0..n)
                    .map(|_| INTERESTING_BYTES[rng.gen_range(0..INTERESTING_BYTES.len())])
                    .collect();
                data.splice(i..i, bytes);
            }
            3 if len > 1 => {
                let i = at(rng);
                let n = rng.gen_range(1..=(len - i).min(64));
                data.drain(i..i + n);
            }
            4 if len > 1 => {
                let i = at(rng);
                let n = rng.gen_range(1..=(len - i).min(256));
                let chunk = data[i..i + n].to_vec();
                let j = at(rng);
                data.splice(j..j, chunk);
            }
            5 if len > 0 => data.truncate(at(rng)),
            6 if !other.is_empty() => {
                let i = at(rng);
                let j = rng.gen_range(0..other.len());
                data.truncate(i);
                data.extend_from_slice(&other[j..]);
            }
            7 if len >= 8 => {
                // An integer field: 4 or 8 little-endian bytes, often at an aligned offset.
                let value = INTERESTING_INTS[rng.gen_range(0..INTERESTING_INTS.len())];
                let width = if rng.gen_bool(0.5) { 4 } else { 8 };
                let mut i = rng.gen_range(0..=len - width);
                if rng.gen_bool(0.5) {
                    i -= i % width;
                }
                data[i..i + width].copy_from_slice(&value.to_le_bytes()[..width]);
            }
            8 if len > 0 => {
                // A postcard varint (a length or a count), overwritten in place.
                let value = if rng.gen_bool(0.5) {
                    INTERESTING_INTS[rng.gen_range(0..INTERESTING_INTS.len())]
                } else {
                    rng.r#gen::<u64>() >> rng.gen_range(0..64)
                };
                let varint = leb128(value);
                let i = at(rng);
                let end = (i + varint.len()).min(len);
                data.splice(i..end, varint);
            }
            9 => {
                let list = tokens(target);
                let token = list[rng.gen_range(0..list.len())];
                let i = at(rng);
                data.splice(i..i, token.iter().copied());
            }
            _ => {
                // A random run of bytes.
                let i = at(rng);
                let n = rng.gen_range(1..=32);
                let bytes: Vec<u8> = (0..n).map(|_| rng.r#gen()).collect();
                data.splice(i..i, bytes);
            }
        }
    }
    data.truncate(max_len);
    data
}

fn leb128(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}
