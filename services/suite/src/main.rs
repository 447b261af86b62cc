//! `jalia`: see the library for the commands.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    jalia::main(std::env::args_os()).await
}
