//! `jalia`: see the library for the commands, and for the runtime it builds.

fn main() -> std::process::ExitCode {
    jalia::run(std::env::args_os())
}
