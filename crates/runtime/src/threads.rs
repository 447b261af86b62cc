//! The process's Tokio runtime, built from typed settings rather than `#[tokio::main]`'s
//! defaults, so an operator bounds its threads: every worker and every blocking thread is a
//! stack and, under glibc, possibly one more malloc arena, which a replica pays even idle.
//! Read before the runtime exists (the rest of the settings are read inside it), from the
//! same command line: `jalia serve <deployable>` and `jalia up` take these flags.

use std::num::NonZeroUsize;
use std::time::Duration;

use clap::{Arg, ArgMatches};

use crate::config::{ConfigError, parse_duration};

const WORKER_THREADS: &str = "worker-threads";
const WORKER_THREADS_ENV: &str = "JALIA_WORKER_THREADS";
const MAX_BLOCKING_THREADS: &str = "max-blocking-threads";
const MAX_BLOCKING_THREADS_ENV: &str = "JALIA_MAX_BLOCKING_THREADS";
const BLOCKING_KEEP_ALIVE: &str = "blocking-thread-keep-alive";
const BLOCKING_KEEP_ALIVE_ENV: &str = "JALIA_BLOCKING_THREAD_KEEP_ALIVE";

/// Most worker threads accepted: far above any node's cores, low enough that a typo (an
/// extra zero) is refused instead of starting thousands of threads.
const MAX_WORKERS: usize = 1024;
/// The default bound on blocking threads. Ours do short, rare work (DNS lookups of the
/// backends, reading key files); Tokio's own default (512) only matters for a flood of
/// such work, where it would mean 512 stacks.
const DEFAULT_MAX_BLOCKING: usize = 64;
/// Tokio's own default: an idle blocking thread exits after this long.
const DEFAULT_KEEP_ALIVE: &str = "10s";

/// How many threads the runtime may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// Threads that run tasks (every call). `None`: one per CPU this process may use
    /// (the container's CPU limit and affinity are respected), which is what a busy server
    /// wants; set it on nodes with many cores and no CPU limit, where the default starts
    /// one thread per core of the node.
    pub worker_threads: Option<NonZeroUsize>,
    /// Threads for blocking work at once; more work waits in a queue.
    pub max_blocking_threads: NonZeroUsize,
    /// How long an idle blocking thread lives before it exits.
    pub blocking_keep_alive: Duration,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            worker_threads: None,
            max_blocking_threads: NonZeroUsize::new(DEFAULT_MAX_BLOCKING)
                .unwrap_or(NonZeroUsize::MIN),
            blocking_keep_alive: Duration::from_secs(10),
        }
    }
}

impl RuntimeSettings {
    /// The flags (with their environment variables, shared by every deployable).
    pub fn args() -> Vec<Arg> {
        vec![
            Arg::new(WORKER_THREADS)
                .long(WORKER_THREADS)
                .env(WORKER_THREADS_ENV)
                .help("threads that run calls (default: one per CPU the process may use)"),
            Arg::new(MAX_BLOCKING_THREADS)
                .long(MAX_BLOCKING_THREADS)
                .env(MAX_BLOCKING_THREADS_ENV)
                .default_value(DEFAULT_MAX_BLOCKING.to_string())
                .help("most threads for blocking work (DNS lookups, key files) at once"),
            Arg::new(BLOCKING_KEEP_ALIVE)
                .long(BLOCKING_KEEP_ALIVE)
                .env(BLOCKING_KEEP_ALIVE_ENV)
                .default_value(DEFAULT_KEEP_ALIVE)
                .help("how long an idle blocking thread lives, e.g. 10s"),
        ]
    }

    /// Reads and validates them; absent flags (a command without them) keep the defaults.
    pub fn from_matches(matches: &ArgMatches) -> Result<Self, ConfigError> {
        let mut settings = Self::default();
        let value = |id: &str| -> Option<String> {
            matches
                .try_get_one::<String>(id)
                .ok()
                .flatten()
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        if let Some(raw) = value(WORKER_THREADS) {
            settings.worker_threads =
                Some(count(&raw, MAX_WORKERS).map_err(|problem| {
                    refused(WORKER_THREADS, WORKER_THREADS_ENV, &raw, problem)
                })?);
        }
        if let Some(raw) = value(MAX_BLOCKING_THREADS) {
            settings.max_blocking_threads = count(&raw, MAX_WORKERS).map_err(|problem| {
                refused(
                    MAX_BLOCKING_THREADS,
                    MAX_BLOCKING_THREADS_ENV,
                    &raw,
                    problem,
                )
            })?;
        }
        if let Some(raw) = value(BLOCKING_KEEP_ALIVE) {
            settings.blocking_keep_alive = parse_duration(&raw).map_err(|problem| {
                refused(BLOCKING_KEEP_ALIVE, BLOCKING_KEEP_ALIVE_ENV, &raw, problem)
            })?;
        }
        Ok(settings)
    }

    /// The multi-threaded runtime these settings describe, with I/O and timers.
    pub fn build(&self) -> std::io::Result<tokio::runtime::Runtime> {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder
            .enable_all()
            .max_blocking_threads(self.max_blocking_threads.get())
            .thread_keep_alive(self.blocking_keep_alive);
        if let Some(workers) = self.worker_threads {
            builder.worker_threads(workers.get());
        }
        builder.build()
    }
}

fn count(raw: &str, max: usize) -> Result<NonZeroUsize, String> {
    raw.parse::<NonZeroUsize>()
        .ok()
        .filter(|count| count.get() <= max)
        .ok_or_else(|| format!("expected a whole number from 1 to {max}"))
}

fn refused(id: &str, env: &str, raw: &str, problem: String) -> ConfigError {
    ConfigError {
        setting: format!("--{id} / {env}"),
        problem: format!("`{raw}`: {problem}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(args: &[&str]) -> Result<RuntimeSettings, ConfigError> {
        let matches = clap::Command::new("serve")
            .args(RuntimeSettings::args())
            .try_get_matches_from(std::iter::once("serve").chain(args.iter().copied()))
            .unwrap();
        RuntimeSettings::from_matches(&matches)
    }

    #[test]
    fn defaults_leave_workers_to_the_cpus_and_bound_blocking_threads() {
        let settings = parse(&[]).unwrap();
        assert_eq!(settings, RuntimeSettings::default());
        assert_eq!(settings.worker_threads, None);
        assert_eq!(settings.max_blocking_threads.get(), 64);
        assert_eq!(settings.blocking_keep_alive, Duration::from_secs(10));
    }

    #[test]
    fn flags_set_each_bound() {
        let settings = parse(&[
            "--worker-threads",
            "3",
            "--max-blocking-threads",
            "8",
            "--blocking-thread-keep-alive",
            "2s",
        ])
        .unwrap();
        assert_eq!(settings.worker_threads, NonZeroUsize::new(3));
        assert_eq!(settings.max_blocking_threads.get(), 8);
        assert_eq!(settings.blocking_keep_alive, Duration::from_secs(2));
    }

    #[test]
    fn zero_or_absurd_counts_are_refused_naming_the_setting() {
        for bad in ["0", "-1", "two", "100000"] {
            let err = parse(&[&format!("--worker-threads={bad}")]).unwrap_err();
            assert_eq!(err.setting, "--worker-threads / JALIA_WORKER_THREADS");
        }
        let err = parse(&["--max-blocking-threads", "0"]).unwrap_err();
        assert_eq!(
            err.setting,
            "--max-blocking-threads / JALIA_MAX_BLOCKING_THREADS"
        );
    }

    #[test]
    fn a_command_without_the_flags_keeps_the_defaults() {
        let matches = clap::Command::new("token")
            .try_get_matches_from(["token"])
            .unwrap();
        assert_eq!(
            RuntimeSettings::from_matches(&matches).unwrap(),
            RuntimeSettings::default()
        );
    }

    #[test]
    fn the_runtime_runs_on_the_workers_asked_for() {
        let settings = parse(&["--worker-threads", "2"]).unwrap();
        let runtime = settings.build().unwrap();
        assert_eq!(runtime.metrics().num_workers(), 2);
        assert_eq!(runtime.block_on(async { 40 + 2 }), 42);
    }
}
