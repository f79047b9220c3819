//! Handing freed memory back to the operating system.
//!
//! glibc's allocator keeps what a program frees for its next allocations: small blocks in its heaps, and
//! large ones too once the first large block has been freed (its threshold for giving a block a mapping of
//! its own then rises to that block's size). Training frees most of what it holds while it allocates
//! something as large in fresh mappings:
//!
//! - while the terms are counted, the texts (when the fit owns them) batch by batch, as the counts grow;
//!   [`release`] runs every 64 MB of texts freed, and once the counting is done, when its tables go too;
//! - while the TF-IDF matrix is filled, each chunk's term counts as they are copied into it;
//!   [`release`] runs between waves of 64 MB of matrix, and once the matrix is built, before a model is
//!   fitted on it.
//!
//! Kept by the allocator, the freed memory would stay resident beside what comes next; [`release`] hands
//! it back at those points. `BENCHMARKS.md` gives what that and freeing the texts early saved in peak
//! resident memory.

/// Returns the allocator's free memory to the system where that is possible (glibc on Linux: every free
/// page of every heap, not only the top of each); elsewhere it does nothing. It walks the allocator's free
/// lists and hands pages back range by range (about 0.01 s for 64 MB), so it belongs between phases or
/// after tens of megabytes freed, not after each block.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer and moves no allocated block; it only gives free pages back.
    unsafe {
        libc::malloc_trim(0);
    }
}
