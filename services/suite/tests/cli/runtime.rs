//! The runtime the binary builds: its thread settings are read from the command that runs,
//! before the runtime exists, and a bad one stops the start like any other setting.

use std::num::NonZeroUsize;
use std::process::Command;

use jalia_runtime::RuntimeSettings;

fn settings_of(args: &[&str]) -> RuntimeSettings {
    let matches = jalia::command()
        .try_get_matches_from(std::iter::once("jalia").chain(args.iter().copied()))
        .unwrap();
    jalia::runtime_settings(&matches).unwrap()
}

#[test]
fn serve_and_up_take_the_thread_settings() {
    for deployable in jalia::DEPLOYABLES {
        let settings = settings_of(&["serve", deployable, "--worker-threads", "3"]);
        assert_eq!(
            settings.worker_threads,
            NonZeroUsize::new(3),
            "{deployable}"
        );
    }
    let up = settings_of(&["up", "--max-blocking-threads", "4"]);
    assert_eq!(up.max_blocking_threads.get(), 4);
    assert_eq!(settings_of(&["token"]), RuntimeSettings::default());
}

#[test]
fn a_bad_thread_setting_stops_the_start_with_exit_code_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_jalia"))
        .args(["serve", "gateway", "--worker-threads", "0"])
        .env_remove("JALIA_WORKER_THREADS")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("--worker-threads / JALIA_WORKER_THREADS"),
        "{said}"
    );
}
