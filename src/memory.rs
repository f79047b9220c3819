//! Handing freed memory back to the operating system.
//!
//! glibc's allocator keeps what a program frees for its next allocations: small blocks in its heaps, and
//! large ones too once the first large block has been freed (its threshold for giving a block a mapping of
//! its own then rises to that block's size). Training frees most of what it holds at two points, and then
//! allocates something as large in fresh mappings:
//!
//! - once the terms are counted: the texts (when the fit owns them) and the counting's tables, before the
//!   TF-IDF matrix is built;
//! - once the matrix is built: each chunk's term counts, freed as they were copied into it, before a model
//!   is fitted on it.
//!
//! Kept by the allocator, the freed memory would stay resident beside what comes next; [`release`] hands
//! it back at those points. `BENCHMARKS.md` gives what that and freeing the texts early saved in peak
//! resident memory.

/// Returns the allocator's free memory to the system where that is possible (glibc on Linux: every free
/// page of every heap, not only the top of each); elsewhere it does nothing. It walks the allocator's free
/// lists and hands pages back range by range, so it belongs between phases, not in loops.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointer and moves no allocated block; it only gives free pages back.
    unsafe {
        libc::malloc_trim(0);
    }
}
