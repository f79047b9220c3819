//! The model file container.
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `DETENTE` followed by 0x1A |
//! | 8 | 4 | format version, little-endian u32 ([`FORMAT_VERSION`]) |
//! | 12 | 8 | payload length in bytes, little-endian u64 |
//! | 20 | 4 | CRC-32 (IEEE) of the payload, little-endian u32 |
//! | 24 | n | payload: the [`Model`](crate::model::Model), serialized with postcard |
//!
//! Reading checks each field in that order before decoding, so a foreign, truncated, damaged or newer file is
//! refused with a message that says which; decoding never allocates more than the file's size (postcard
//! reads lengths from the payload, and serde caps every pre-allocation it makes from them).
//! Writing is atomic: the bytes go to a temporary file in the target's folder, which is synced and then renamed
//! over the target, so the target holds the old model or the new one, never part of one.

use crate::error::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::Write;
use std::path::Path;

/// The first eight bytes of every model file.
pub const MAGIC: [u8; 8] = *b"DETENTE\x1a";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 24;

/// Serializes `value` into a complete model file image.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let payload = postcard::to_stdvec(value)
        .map_err(|e| Error::param("model", "(in memory)", format!("a serializable model: {e}")))?;
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    Ok(bytes)
}

/// Checks and decodes a model file image. `path` names the file in error messages.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], path: &Path) -> Result<T> {
    let bad = |reason: String| Error::BadModel {
        path: path.to_path_buf(),
        reason,
    };
    if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
        return Err(bad("it does not start with the detente magic number".into()));
    }
    if bytes.len() < HEADER_LEN {
        return Err(bad(format!(
            "the file is truncated ({} bytes, header needs {HEADER_LEN})",
            bytes.len()
        )));
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let version = u32_at(8);
    if version > FORMAT_VERSION {
        return Err(Error::NewerModel {
            path: path.to_path_buf(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(bad("format version 0 does not exist".into()));
    }
    let declared = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER_LEN..];
    if declared != payload.len() as u64 {
        return Err(bad(format!(
            "the header declares {declared} payload bytes but the file holds {} (truncated or damaged)",
            payload.len()
        )));
    }
    if crc32fast::hash(payload) != u32_at(20) {
        return Err(bad("checksum mismatch: the file is damaged".into()));
    }
    postcard::from_bytes(payload).map_err(|e| bad(format!("the payload does not decode: {e}")))
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or("model".into(), |n| n.to_string_lossy());
    let tmp = TempFile {
        path: dir.join(format!(".{name}.{}.tmp", std::process::id())),
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp.path)
        .map_err(|e| Error::io(dir, e))?;
    file.write_all(bytes).map_err(|e| Error::io(&tmp.path, e))?;
    file.sync_all().map_err(|e| Error::io(&tmp.path, e))?;
    drop(file);
    std::fs::rename(&tmp.path, path).map_err(|e| Error::io(path, e))?;
    std::mem::forget(tmp);
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

    fn sample() -> Vec<u8> {
        encode(&(String::from("head"), vec![1.5f32, -2.0], 7u64)).unwrap()
    }

    fn decode_sample(bytes: &[u8]) -> Result<(String, Vec<f32>, u64)> {
        decode(bytes, Path::new("m.detente"))
    }

    #[test]
    fn round_trip() {
        let (s, v, n) = decode_sample(&sample()).unwrap();
        assert_eq!((s.as_str(), v, n), ("head", vec![1.5, -2.0], 7));
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
        // A length prefix inside the payload claiming 2^40 elements, with a valid checksum.
        let mut payload = vec![0u8; 0];
        payload.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]); // varint 2^42 string length
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
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
