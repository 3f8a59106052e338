//! The crash test's child process: see `ferrolite_verification::crash`.

#[cfg(not(any(loom, feature = "shuttle")))]
fn main() {
    ferrolite_verification::crash::child_main()
}

// The engine is not built under loom or shuttle (the memtables need their scheduler there).
#[cfg(any(loom, feature = "shuttle"))]
fn main() {
    eprintln!("crash-child is not built under loom or shuttle");
    std::process::exit(2);
}
