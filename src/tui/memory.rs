//! Giving freed memory back to the system after a big read.
//!
//! The directory, the history and the timeline are read on the runtime's blocking threads and
//! handed to the app, which drops what they replace. glibc keeps freed memory in each thread's
//! arena, so the dashboard stayed at its peak: at 10,000 sessions, 134 MB resident after `t`
//! with 67 MB in use. `malloc_trim` returns the free pages of every arena to the system.
//!
//! It cannot return the free top of a thread's arena, which glibc shrinks only past a trim
//! threshold that it raises after every large free (up to 64 MB): a read of the history left
//! 10–25 MB resident and unused, more or less from one run to the next. [`tune`] fixes the
//! thresholds at start.

/// Fixed allocator thresholds for the dashboard (a long-running process that reads big
/// things now and then): blocks of 128 KiB and more are mapped and unmapped on their own,
/// and an arena's free top over 1 MiB goes back at once. At 10,000 sessions: 77 MB resident
/// after `t` instead of 86, and always the same.
///
/// At most two arenas: glibc makes up to eight per core, and the threads that build the
/// index from nothing (one per core, the first time `t` needs it) each left one behind,
/// holed and not given back: 83–85 MB resident after `t` instead of 78, and a peak of
/// 102–104 MB at `Tab` instead of 98–99. Two arenas build the index as fast on this
/// 2-core machine (1.8–2.4 s either way).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune() {
    // SAFETY: `mallopt` takes two integers and sets glibc's own parameters under its lock;
    // any thread may call it at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1024 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune() {}

/// After a big read has been taken in: returns freed memory to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_freed() {
    // SAFETY: `malloc_trim` takes no pointer from us; it walks glibc's own heaps under their
    // locks, so it is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators and systems give memory back on their own terms.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() {}
