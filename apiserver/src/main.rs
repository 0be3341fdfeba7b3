use clap::Parser;

/// Keep memory flat: glibc raises its mmap threshold after the first large
/// free, after which multi-MiB list responses are carved from the heap and
/// stay resident; a fixed threshold (and few arenas for the many blocking git
/// threads) returns them to the system.
fn tune_allocator() {
    // SAFETY: mallopt only sets allocator parameters; called once, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() -> std::process::ExitCode {
    tune_allocator();
    let config = porch_server::Config::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("porch-server: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(porch_server::run(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("porch-server: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
