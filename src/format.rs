//! The model file container.
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `DETENTE` followed by 0x1A |
//! | 8 | 4 | format version, little-endian u32 ([`FORMAT_VERSION`]) |
//! | 12 | 8 | payload length in bytes, little-endian u64 |
//! | 20 | 4 | CRC-32 (IEEE) of the payload, little-endian u32 |
//! | 24 | n | payload |
//!
//! The payload is a manifest, then the blocks:
//!
//! | size | content |
//! |---|---|
//! | 8 | manifest length m, little-endian u64 |
//! | m | manifest: the [`Model`](crate::model::Model), serialized with postcard, each large array replaced by a reference (offset, length) into the blocks |
//! | 0–7 | zero padding, so that the blocks start at a multiple of 8 from the start of the file |
//! | rest | blocks: the large arrays ([`Block`]: vocabulary text and index, IDF, weights), each as raw little-endian values starting at a multiple of 8 |
//!
//! Reading checks each header field in that order before decoding, so a foreign, truncated, damaged or
//! newer file is refused with a message that says which; [`read_file`] checks the header before it reads
//! the rest, and reads no more than the declared length; decoding never allocates more than the file's
//! size (postcard reads lengths from the payload, serde caps every pre-allocation it makes from them, and
//! a block reference is checked against the blocks' size before anything is copied).
//!
//! Blocks are what makes loading fast: a model compiled into the binary ([`decode_static`]) borrows them
//! in place, so loading costs the manifest's few kilobytes and the pages of weights a prediction actually
//! reads, not a copy of every weight. A model read from a file ([`decode`]) copies each block once.
//!
//! Writing is atomic: the bytes go to a temporary file in the target's folder, which is synced and then renamed
//! over the target, so the target holds the old model or the new one, never part of one.

use crate::error::{Error, Result};
use serde::de::{self, DeserializeOwned};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Deref;
use std::path::Path;

/// The first eight bytes of every model file.
pub const MAGIC: [u8; 8] = *b"DETENTE\x1a";
/// The format version this build writes and the only one it reads. Version 1 (postcard only, without
/// blocks) was never released.
pub const FORMAT_VERSION: u32 = 2;
const HEADER_LEN: usize = 24;
/// Where the header's checksum field starts.
const CRC_AT: usize = 20;
const BLOCK_ALIGN: usize = 8;

/// Serializes `value` into a complete model file image.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let (manifest, sink) = serialize_into(value, Sink::Buffer(Vec::new()))?;
    let Sink::Buffer(blocks) = sink else {
        unreachable!("serialize_into gives back the sink it was given")
    };
    let mut bytes = head(&manifest, blocks.len());
    bytes.reserve_exact(blocks.len());
    bytes.extend_from_slice(&blocks);
    let crc = crc32fast::hash(&bytes[HEADER_LEN..]);
    bytes[CRC_AT..HEADER_LEN].copy_from_slice(&crc.to_le_bytes());
    Ok(bytes)
}

/// Serializes `value` and writes it to `path` atomically (see [`write_atomic`]): the same bytes as
/// [`encode`], with the blocks written straight from the model's memory instead of being copied into an
/// image first (for the 20 Newsgroups model, 45 MB that would be held on top of the model). A first pass
/// over the model lays the blocks out without copying them, which gives the manifest and the header;
/// a second one writes them; the checksum, known last, is written into the header at the end.
pub fn save<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let (manifest, sink) = serialize_into(value, Sink::Layout(0))?;
    let Sink::Layout(blocks_len) = sink else {
        unreachable!("serialize_into gives back the sink it was given")
    };
    let head = head(&manifest, blocks_len);
    write_atomic_with(path, |file, tmp| {
        let mut crc = crc32fast::Hasher::new();
        crc.update(&head[HEADER_LEN..]);
        let mut out = BufWriter::with_capacity(1 << 16, file);
        out.write_all(&head).map_err(|e| Error::io(tmp, e))?;
        let writer = BlockWriter {
            out,
            crc,
            written: 0,
            error: None,
        };
        let (again, sink) = serialize_into(value, Sink::File(writer))?;
        let Sink::File(writer) = sink else {
            unreachable!("serialize_into gives back the sink it was given")
        };
        if let Some(e) = writer.error {
            return Err(Error::io(tmp, e));
        }
        // Serializing the same borrowed value twice gives the same manifest and blocks.
        debug_assert!(again == manifest && writer.written == blocks_len);
        let mut file = writer
            .out
            .into_inner()
            .map_err(|e| Error::io(tmp, e.into_error()))?;
        file.seek(SeekFrom::Start(CRC_AT as u64))
            .and_then(|_| file.write_all(&writer.crc.finalize().to_le_bytes()))
            .map_err(|e| Error::io(tmp, e))?;
        Ok(file)
    })
}

/// Serializes `value` with postcard, its blocks going to `sink`: the manifest, and the sink back.
fn serialize_into<T: Serialize>(value: &T, sink: Sink) -> Result<(Vec<u8>, Sink)> {
    let (manifest, sink) = {
        let _guard = SinkGuard::install(sink);
        let manifest = postcard::to_stdvec(value);
        let sink = SINK.with_borrow_mut(Option::take);
        (manifest, sink.expect("the guard keeps the sink installed"))
    };
    let manifest = manifest
        .map_err(|e| Error::param("model", "(in memory)", format!("a serializable model: {e}")))?;
    Ok((manifest, sink))
}

/// The header, the manifest and the padding that aligns the blocks, for `blocks_len` bytes of blocks;
/// the checksum field is left zero.
fn head(manifest: &[u8], blocks_len: usize) -> Vec<u8> {
    let padding = padding(HEADER_LEN + 8 + manifest.len());
    let mut head = Vec::with_capacity(HEADER_LEN + 8 + manifest.len() + padding);
    head.extend_from_slice(&MAGIC);
    head.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let payload_len = 8 + manifest.len() + padding + blocks_len;
    head.extend_from_slice(&(payload_len as u64).to_le_bytes());
    head.extend_from_slice(&[0; 4]);
    head.extend_from_slice(&(manifest.len() as u64).to_le_bytes());
    head.extend_from_slice(manifest);
    head.resize(head.len() + padding, 0);
    head
}

/// Checks and decodes a model file image, copying its blocks out of it. `path` names the file in error
/// messages.
pub fn decode<T: DeserializeOwned>(bytes: Vec<u8>, path: &Path) -> Result<T> {
    let (manifest, blocks) = split(&bytes, path, true)?;
    let manifest = manifest.to_vec();
    let blocks_start = bytes.len() - blocks.len();
    let _source = SourceGuard::install(Source::Copied {
        image: bytes,
        blocks_start,
    });
    postcard_decode(&manifest, path)
}

/// Decodes a model image that lives as long as the program (one compiled into the binary), borrowing
/// its blocks in place instead of copying them (on little-endian machines, where the stored layout is
/// the in-memory one, for blocks whose address is aligned; others are copied).
///
/// `verify_checksum: false` skips the CRC-32 over the whole image and the checks that read every
/// element of a large array (see `thorough`); the header and every size are still checked. That is for
/// images whose integrity is already guaranteed, such as one compiled into the executable and checked
/// by a test: those checks would read every page of the image, which costs more than the rest of
/// loading. A damaged image loaded this way cannot make detente panic, only predict nonsense.
pub fn decode_static<T: DeserializeOwned>(
    bytes: &'static [u8],
    path: &Path,
    verify_checksum: bool,
) -> Result<T> {
    let (manifest, blocks) = split(bytes, path, verify_checksum)?;
    let _source = SourceGuard::install(Source::Static(blocks));
    let _trust = TrustGuard::install(!verify_checksum);
    postcard_decode(manifest, path)
}

fn postcard_decode<T: DeserializeOwned>(manifest: &[u8], path: &Path) -> Result<T> {
    REFUSAL.set(None);
    postcard::from_bytes(manifest).map_err(|e| Error::BadModel {
        path: path.to_path_buf(),
        reason: match REFUSAL.take() {
            Some(reason) => format!("the payload is inconsistent: {reason}"),
            None => format!("the payload does not decode: {e}"),
        },
    })
}

/// A deserialization error for a value that decodes but makes no sense (a vocabulary of 10 terms with
/// 9 IDF values, say). postcard drops the text of such errors, so the reason is also kept here for the
/// message [`decode`] gives.
pub(crate) fn refuse<E: de::Error>(reason: impl fmt::Display) -> E {
    E::custom(refusal(reason.to_string()))
}

/// Records `reason` as [`refuse`] does and returns it, for `#[serde(try_from)]` conversions.
pub(crate) fn refusal(reason: String) -> String {
    REFUSAL.set(Some(reason.clone()));
    reason
}

/// Reads the model file `path`. The header is read and checked first, so that a file that is not a model
/// (another file, a device, a pipe) is refused after its first bytes; then no more than the payload
/// length it declares is read, and memory grows only with the bytes actually there.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::with_capacity(HEADER_LEN);
    (&mut file)
        .take(HEADER_LEN as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    let declared = check_header(&bytes, path)?;
    // Room for the whole file at once when its size is known (a regular file), never more than declared:
    // growing by doubling would copy the image several times.
    let size = file.metadata().map_or(0, |m| m.len());
    bytes.reserve(size.min(declared.saturating_add(HEADER_LEN as u64 + 1)) as usize);
    // One byte more than declared, so that `split` can say the file is longer than its header says.
    file.take(declared.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    Ok(bytes)
}

/// Checks the magic number and the format version, and returns the declared payload length.
fn check_header(bytes: &[u8], path: &Path) -> Result<u64> {
    let bad = |reason: String| Error::BadModel {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.is_empty() {
        return Err(bad("the file is empty".into()));
    }
    let magic = &bytes[..bytes.len().min(MAGIC.len())];
    if magic != &MAGIC[..magic.len()] {
        return Err(bad("it does not start with the detente magic number".into()));
    }
    if bytes.len() < HEADER_LEN {
        return Err(bad(format!(
            "the file is truncated ({} bytes, header needs {HEADER_LEN})",
            bytes.len()
        )));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version > FORMAT_VERSION {
        return Err(Error::NewerModel {
            path: path.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version < FORMAT_VERSION {
        return Err(bad(format!(
            "format version {version} is not readable by this version of detente (it reads version \
             {FORMAT_VERSION}); train the model again"
        )));
    }
    Ok(u64::from_le_bytes(
        bytes[12..20].try_into().expect("8 bytes"),
    ))
}

/// Checks the header (and the checksum, if asked) and returns the manifest and the blocks.
fn split<'a>(bytes: &'a [u8], path: &Path, verify_checksum: bool) -> Result<(&'a [u8], &'a [u8])> {
    let bad = |reason: String| Error::BadModel {
        path: path.to_path_buf(),
        reason,
    };
    let declared = check_header(bytes, path)?;
    let payload = &bytes[HEADER_LEN..];
    if declared > payload.len() as u64 {
        return Err(bad(format!(
            "the header declares {declared} payload bytes but the file holds {} (truncated or damaged)",
            payload.len()
        )));
    }
    if declared < payload.len() as u64 {
        return Err(bad(format!(
            "the file goes on after the {declared} payload bytes its header declares (damaged)"
        )));
    }
    let crc = u32::from_le_bytes(bytes[20..24].try_into().expect("4 bytes"));
    if verify_checksum && crc32fast::hash(payload) != crc {
        return Err(bad("checksum mismatch: the file is damaged".into()));
    }
    let manifest_len = payload
        .get(..8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        .ok_or_else(|| bad("the payload is shorter than its manifest length".into()))?;
    let manifest_end = usize::try_from(manifest_len)
        .ok()
        .and_then(|m| m.checked_add(8))
        .filter(|&end| end <= payload.len())
        .ok_or_else(|| {
            bad(format!(
                "the manifest length ({manifest_len} bytes) exceeds the payload ({} bytes)",
                payload.len()
            ))
        })?;
    let blocks_start = manifest_end + padding(HEADER_LEN + manifest_end);
    let blocks = payload
        .get(blocks_start..)
        .ok_or_else(|| bad("the payload ends inside the padding after the manifest".into()))?;
    Ok((&payload[8..manifest_end], blocks))
}

/// Zero bytes that bring `offset` to a multiple of [`BLOCK_ALIGN`].
fn padding(offset: usize) -> usize {
    (BLOCK_ALIGN - offset % BLOCK_ALIGN) % BLOCK_ALIGN
}

// The blocks being written by `encode` or `save`, or read by `decode`, on this thread. Serde has no way to pass
// context to a nested `Serialize` or `Deserialize` impl, so the entry points install it here for the
// duration of one call; a guard removes it again, also on error.
thread_local! {
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
    static SOURCE: RefCell<Option<Source>> = const { RefCell::new(None) };
    static REFUSAL: RefCell<Option<String>> = const { RefCell::new(None) };
    static TRUSTED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether a model being decoded should have every element of its large arrays checked (term bounds,
/// row indices) so that a damaged model is refused with a reason. False only inside
/// [`decode_static`] without checksum; the data structures stay safe to use either way.
pub(crate) fn thorough() -> bool {
    !TRUSTED.get()
}

struct TrustGuard;

impl TrustGuard {
    fn install(trusted: bool) -> TrustGuard {
        TRUSTED.set(trusted);
        TrustGuard
    }
}

impl Drop for TrustGuard {
    fn drop(&mut self) {
        TRUSTED.set(false);
    }
}

enum Source {
    /// The blocks of an image that outlives the program.
    Static(&'static [u8]),
    /// A whole file image, whose blocks start at `blocks_start`.
    Copied { image: Vec<u8>, blocks_start: usize },
}

/// Where serializing a model puts the blocks.
enum Sink {
    /// Appended to one buffer.
    Buffer(Vec<u8>),
    /// Only laid out: the blocks' size so far, nothing copied.
    Layout(usize),
    /// Written to a model file as they come.
    File(BlockWriter),
}

/// Writes blocks to a model file after its header and manifest, and keeps the payload's checksum.
struct BlockWriter {
    out: BufWriter<std::fs::File>,
    crc: crc32fast::Hasher,
    // Bytes of blocks written (padding included).
    written: usize,
    // The first write that failed; nothing is written after it.
    error: Option<std::io::Error>,
}

impl BlockWriter {
    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            match self.out.write_all(bytes) {
                Ok(()) => self.crc.update(bytes),
                Err(e) => self.error = Some(e),
            }
        }
        self.written += bytes.len();
    }
}

struct SinkGuard;

impl SinkGuard {
    fn install(sink: Sink) -> SinkGuard {
        SINK.set(Some(sink));
        SinkGuard
    }
}

impl Drop for SinkGuard {
    fn drop(&mut self) {
        SINK.set(None);
    }
}

struct SourceGuard;

impl SourceGuard {
    fn install(source: Source) -> SourceGuard {
        SOURCE.set(Some(source));
        SourceGuard
    }
}

impl Drop for SourceGuard {
    fn drop(&mut self) {
        SOURCE.set(None);
    }
}

/// A value type that can be stored in a [`Block`]: plain old data with a little-endian byte form.
pub trait Element: bytemuck::Pod + PartialEq + fmt::Debug + Serialize + DeserializeOwned {
    /// Appends the value's little-endian bytes.
    fn put_le(self, out: &mut Vec<u8>);
    /// Reads a value from exactly `size_of::<Self>()` little-endian bytes.
    fn get_le(bytes: &[u8]) -> Self;
}

macro_rules! element {
    ($($t:ty),*) => {$(
        impl Element for $t {
            fn put_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get_le(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("exact element size"))
            }
        }
    )*};
}

element!(u8, u32, u64, f32);

/// A large array of a model: owned while a model is built, borrowed from the program's own image when
/// the model was compiled in. Inside a model file it is stored as a block (see the module docs); with
/// any other serde format it is a plain sequence.
#[derive(Clone, PartialEq)]
pub struct Block<T: Element + 'static>(Cow<'static, [T]>);

impl<T: Element> Block<T> {
    /// The values, made owned (copied if they were borrowed) for changing.
    pub fn to_mut(&mut self) -> &mut Vec<T> {
        self.0.to_mut()
    }

    /// Whether the values are borrowed from a static image rather than owned.
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Cow::Borrowed(_))
    }
}

impl<T: Element> Default for Block<T> {
    fn default() -> Self {
        Block(Cow::Owned(Vec::new()))
    }
}

impl<T: Element> From<Vec<T>> for Block<T> {
    fn from(values: Vec<T>) -> Self {
        Block(Cow::Owned(values))
    }
}

impl<T: Element> Deref for Block<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Element> fmt::Debug for Block<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Block<{}>[{}]", std::any::type_name::<T>(), self.len())
    }
}

impl<T: Element> Serialize for Block<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_block(self, s)
    }
}

fn serialize_block<T: Element, S: Serializer>(
    values: &[T],
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    // The values' little-endian form: their memory itself on little-endian targets (no copy). Laying the
    // blocks out needs only its length.
    let le_bytes = || -> Cow<[u8]> {
        if cfg!(target_endian = "little") {
            Cow::Borrowed(bytemuck::cast_slice(values))
        } else {
            let mut bytes = Vec::with_capacity(std::mem::size_of_val(values));
            values.iter().for_each(|&v| v.put_le(&mut bytes));
            Cow::Owned(bytes)
        }
    };
    let offset = SINK.with_borrow_mut(|sink| match sink.as_mut()? {
        Sink::Buffer(sink) => {
            let bytes = le_bytes();
            sink.resize(sink.len() + padding(sink.len()), 0);
            let offset = sink.len();
            // Exact: the blocks are the bulk of a model, and growth slack would be held until it is
            // written.
            sink.reserve_exact(bytes.len());
            sink.extend_from_slice(&bytes);
            Some(offset)
        }
        Sink::Layout(len) => {
            let offset = *len + padding(*len);
            *len = offset + std::mem::size_of_val(values);
            Some(offset)
        }
        Sink::File(writer) => {
            writer.put(&[0; BLOCK_ALIGN][..padding(writer.written)]);
            let offset = writer.written;
            writer.put(&le_bytes());
            Some(offset)
        }
    });
    match offset {
        Some(offset) => (offset as u64, values.len() as u64).serialize(s),
        None => s.collect_seq(values),
    }
}

impl<'de, T: Element> Deserialize<'de> for Block<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        if SOURCE.with_borrow(Option::is_none) {
            return Vec::<T>::deserialize(d).map(Block::from);
        }
        let (offset, len) = <(u64, u64)>::deserialize(d)?;
        SOURCE.with_borrow(|source| {
            let bytes: &[u8] = match source {
                Some(Source::Static(bytes)) => bytes,
                Some(Source::Copied {
                    image,
                    blocks_start,
                }) => &image[*blocks_start..],
                None => unreachable!("checked above"),
            };
            let size = std::mem::size_of::<T>();
            let range = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(len).ok())
                .and_then(|(offset, len)| Some(offset..offset.checked_add(len.checked_mul(size)?)?))
                .filter(|range| range.end <= bytes.len())
                .ok_or_else(|| {
                    refuse(format!(
                        "a block of {len} values at byte {offset} lies outside the {} bytes of blocks",
                        bytes.len()
                    ))
                })?;
            if let Some(Source::Static(image)) = source
                && cfg!(target_endian = "little")
                && let Ok(values) = bytemuck::try_cast_slice::<u8, T>(&image[range.clone()])
            {
                return Ok(Block(Cow::Borrowed(values)));
            }
            // A copy in one piece where the bytes are the values' memory (little-endian, aligned, as the
            // blocks of a file read into memory are), value by value otherwise.
            if cfg!(target_endian = "little")
                && let Ok(values) = bytemuck::try_cast_slice::<u8, T>(&bytes[range.clone()])
            {
                return Ok(Block(Cow::Owned(values.to_vec())));
            }
            let values = bytes[range].chunks_exact(size).map(T::get_le).collect();
            Ok(Block(Cow::Owned(values)))
        })
    }
}

/// UTF-8 text stored as a [`Block`] of bytes: owned, or borrowed from a static image.
#[derive(Clone, Default, PartialEq)]
pub struct TextBlock(Cow<'static, str>);

impl TextBlock {
    /// The text, made owned (copied if it was borrowed) for changing.
    pub fn to_mut(&mut self) -> &mut String {
        self.0.to_mut()
    }
}

impl Deref for TextBlock {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TextBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TextBlock[{} bytes]", self.len())
    }
}

impl Serialize for TextBlock {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        if SINK.with_borrow(Option::is_some) {
            serialize_block(self.as_bytes(), s)
        } else {
            s.serialize_str(self)
        }
    }
}

impl<'de> Deserialize<'de> for TextBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        if SOURCE.with_borrow(Option::is_none) {
            return String::deserialize(d).map(|s| TextBlock(Cow::Owned(s)));
        }
        let not_utf8 = |e| refuse(format!("a text block is not UTF-8: {e}"));
        match Block::<u8>::deserialize(d)?.0 {
            Cow::Borrowed(bytes) => std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(not_utf8),
            Cow::Owned(bytes) => String::from_utf8(bytes)
                .map(Cow::Owned)
                .map_err(|e| not_utf8(e.utf8_error())),
        }
        .map(TextBlock)
    }
}

/// Writes `bytes` to `path` atomically: to a temporary file `.NAME.PID-N.tmp` in the same folder, synced,
/// then renamed over `path`, and the folder synced so that the rename survives a crash. A failed write
/// removes its temporary file; a killed process leaves it behind, and the next write picks another name.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |mut file, tmp| {
        file.write_all(bytes).map_err(|e| Error::io(tmp, e))?;
        Ok(file)
    })
}

/// [`write_atomic`] with the file's content written by `write`, given the temporary file and its path
/// (for error messages); it gives the file back to be synced.
fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(std::fs::File, &Path) -> Result<std::fs::File>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or("model".into(), |n| n.to_string_lossy());
    let mut attempt = 0u32;
    let (tmp, file) = loop {
        let tmp_path = dir.join(format!(".{name}.{}-{attempt}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp_path)
        {
            Ok(file) => break (TempFile { path: tmp_path }, file),
            // Left by a killed process with the same id (as in containers, where it is often 1).
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 1000 => {
                attempt += 1
            }
            Err(e) => return Err(Error::io(dir, e)),
        }
    };
    let file = write(file, &tmp.path)?;
    file.sync_all().map_err(|e| Error::io(&tmp.path, e))?;
    drop(file);
    std::fs::rename(&tmp.path, path).map_err(|e| Error::io(path, e))?;
    std::mem::forget(tmp);
    // Best effort: some file systems cannot sync a folder, and the model is in place either way.
    if let Ok(folder) = std::fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Removes the temporary file unless it was renamed into place.
struct TempFile {
    path: std::path::PathBuf,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Sample = (String, Block<f32>, TextBlock, Block<u64>, u64);

    fn sample_value() -> Sample {
        (
            String::from("head"),
            Block::from(vec![1.5f32, -2.0]),
            TextBlock(Cow::Owned("zürich".into())),
            Block::from(vec![9u64]),
            7u64,
        )
    }

    fn sample() -> Vec<u8> {
        encode(&sample_value()).unwrap()
    }

    // save writes the blocks as it lays them out and the checksum last; the file is the image encode gives,
    // padding between blocks included (the text block's 7 bytes leave 1 before the next block).
    #[test]
    fn a_saved_file_is_the_encoded_image() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.detente");
        save(&path, &sample_value()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), sample());
        let (s, v, t, w, n) = decode_sample(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            (s.as_str(), &v[..], &t[..], &w[..], n),
            ("head", &[1.5, -2.0][..], "zürich", &[9][..], 7)
        );
    }

    // A write that fails while the blocks are being written is kept for save to report, and the layout (so
    // the manifest) stays that of a good write. The file is opened read-only, so every write fails.
    #[test]
    fn a_failed_block_write_is_kept_and_the_layout_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("read-only");
        std::fs::write(&path, b"").unwrap();
        let writer = BlockWriter {
            out: BufWriter::with_capacity(4, std::fs::File::open(&path).unwrap()),
            crc: crc32fast::Hasher::new(),
            written: 0,
            error: None,
        };
        let (manifest, Sink::File(writer)) =
            serialize_into(&sample_value(), Sink::File(writer)).unwrap()
        else {
            unreachable!("the sink given back")
        };
        assert!(writer.error.is_some());
        let (laid_out, Sink::Layout(len)) =
            serialize_into(&sample_value(), Sink::Layout(0)).unwrap()
        else {
            unreachable!("the sink given back")
        };
        assert_eq!((manifest, writer.written), (laid_out, len));
        assert!(std::fs::read(&path).unwrap().is_empty());
    }

    fn decode_sample(bytes: &[u8]) -> Result<Sample> {
        decode(bytes.to_vec(), Path::new("m.detente"))
    }

    /// A copy of `bytes` that lives for the rest of the test run, starting at a multiple of 8 plus `shift`.
    fn leak_static(bytes: &[u8], shift: usize) -> &'static [u8] {
        let words = Box::leak(vec![0u64; bytes.len() / 8 + 2].into_boxed_slice());
        let buf: &'static mut [u8] = bytemuck::cast_slice_mut(words);
        buf[shift..shift + bytes.len()].copy_from_slice(bytes);
        &buf[shift..shift + bytes.len()]
    }

    #[test]
    fn round_trip_copied_and_borrowed() {
        let check = |(s, v, t, w, n): Sample| {
            assert_eq!(
                (s.as_str(), &v[..], &t[..], &w[..], n),
                ("head", &[1.5, -2.0][..], "zürich", &[9][..], 7)
            );
            (
                v.is_borrowed(),
                w.is_borrowed(),
                matches!(t.0, Cow::Borrowed(_)),
            )
        };
        assert_eq!(
            check(decode_sample(&sample()).unwrap()),
            (false, false, false)
        );
        let image = leak_static(&sample(), 0);
        let borrowed = check(decode_static(image, Path::new("static"), true).unwrap());
        assert_eq!(
            borrowed,
            (
                cfg!(target_endian = "little"),
                cfg!(target_endian = "little"),
                true
            )
        );
        // Misaligned by one byte: the same values, copied.
        let image = leak_static(&sample(), 1);
        let copied = check(decode_static(image, Path::new("static"), true).unwrap());
        assert_eq!(copied, (false, false, true));
    }

    #[test]
    fn blocks_start_at_multiples_of_eight() {
        let bytes = sample();
        let (manifest, blocks) = split(&bytes, Path::new("m"), true).unwrap();
        assert_eq!((bytes.len() - blocks.len()) % 8, 0);
        assert!(
            manifest.len() < 40,
            "the manifest holds references, not the arrays"
        );
        // 1.5, -2.0, then "zürich" (7 bytes) padded to 8, then 9u64.
        assert_eq!(blocks.len(), 8 + 8 + 8);
        assert_eq!(&blocks[8..15], "zürich".as_bytes());
    }

    #[test]
    fn outside_a_model_file_blocks_are_plain_values() {
        let value = (
            Block::from(vec![1.0f32, 2.0]),
            TextBlock(Cow::Owned("x".into())),
        );
        let json = serde_json::to_string(&value).unwrap();
        assert_eq!(json, "[[1.0,2.0],\"x\"]");
        let back: (Block<f32>, TextBlock) = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn a_block_reference_outside_the_blocks_is_refused() {
        // A manifest of one block reference (offset 0, 1000 values) with only 8 bytes of blocks.
        let mut manifest = Vec::new();
        manifest.extend_from_slice(&[0x00, 0xe8, 0x07]); // varints 0 and 1000
        let bytes = image(&manifest, &[0u8; 8]);
        let err = decode::<Block<f32>>(bytes, Path::new("m"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("outside the 8 bytes of blocks"), "{err}");
        let mut text = Vec::new();
        text.extend_from_slice(&[0x00, 0x02]);
        let err = decode::<TextBlock>(
            image(&text, &[0xff, 0xfe, 0, 0, 0, 0, 0, 0]),
            Path::new("m"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not UTF-8"), "{err}");
    }

    /// A well-formed file image of `manifest` and `blocks`, with a valid checksum.
    fn image(manifest: &[u8], blocks: &[u8]) -> Vec<u8> {
        let mut payload = (manifest.len() as u64).to_le_bytes().to_vec();
        payload.extend_from_slice(manifest);
        payload.resize(payload.len() + padding(HEADER_LEN + payload.len()), 0);
        payload.extend_from_slice(blocks);
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        bytes
    }

    #[test]
    fn foreign_truncated_damaged_and_newer_files_are_refused() {
        let good = sample();
        let msg = |b: &[u8]| decode_sample(b).unwrap_err().to_string();
        assert!(msg(b"PK\x03\x04 zip").contains("magic"));
        assert!(msg(&good[..good.len() - 1]).contains("truncated"));
        assert!(msg(&good[..10]).contains("truncated"));
        let mut flipped = good.clone();
        *flipped.last_mut().unwrap() ^= 0x10;
        assert!(msg(&flipped).contains("checksum"));
        let mut newer = good.clone();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert!(
            matches!(decode_sample(&newer), Err(Error::NewerModel { found, .. }) if found == FORMAT_VERSION + 1)
        );
        let mut older = good.clone();
        older[8..12].copy_from_slice(&1u32.to_le_bytes());
        assert!(msg(&older).contains("format version 1 is not readable"));
        // A manifest length beyond the payload, with a valid checksum.
        let mut long = image(&[0; 4], &[]);
        long[24..32].copy_from_slice(&(1u64 << 40).to_le_bytes());
        let crc = crc32fast::hash(&long[24..]);
        long[20..24].copy_from_slice(&crc.to_le_bytes());
        assert!(msg(&long).contains("manifest length"), "{}", msg(&long));
    }

    #[test]
    fn a_length_claiming_terabytes_is_refused_without_allocating_it() {
        let mut huge = sample();
        huge[12..20].copy_from_slice(&(1u64 << 42).to_le_bytes());
        assert!(
            decode_sample(&huge)
                .unwrap_err()
                .to_string()
                .contains("declares")
        );
        // A length prefix inside the manifest claiming 2^42 bytes, with a valid checksum.
        let bytes = image(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40], &[]);
        assert!(
            decode_sample(&bytes)
                .unwrap_err()
                .to_string()
                .contains("does not decode")
        );
    }

    #[test]
    fn atomic_write_replaces_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.detente");
        write_atomic(&path, b"old model").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn a_temporary_file_left_by_a_killed_writer_is_stepped_around() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.detente");
        let stale = dir
            .path()
            .join(format!(".m.detente.{}-0.tmp", std::process::id()));
        std::fs::write(&stale, b"partial").unwrap();
        write_atomic(&path, b"model").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"model");
        assert_eq!(
            std::fs::read(&stale).unwrap(),
            b"partial",
            "not ours to remove"
        );
    }

    #[test]
    fn writing_into_a_missing_folder_names_the_folder_once() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-folder");
        let message = write_atomic(&missing.join("m.detente"), b"x")
            .unwrap_err()
            .to_string();
        assert_eq!(message.matches("no-such-folder").count(), 1, "{message}");
        assert!(message.contains("No such file or directory"), "{message}");
    }
}
