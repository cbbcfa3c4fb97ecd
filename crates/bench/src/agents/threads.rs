//! What the server's threads are doing, sampled every few milliseconds over the window from
//! /proc/<pid>/task/<tid>/syscall: on a CPU (or waiting for one), sleeping in a timed sleep (the
//! state SQLite's busy handler waits in while another connection holds the write lock), in
//! file IO, or idle (futex, epoll). Beside the threads' CPU time this tells a saturated runtime
//! from a starved one, and a writer doing work from a writer waiting for the lock. Syscall
//! numbers are x86-64's.

use super::record::Window;
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_millis(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// On a CPU or runnable (`running` in the syscall file).
    Running,
    /// nanosleep / clock_nanosleep.
    Sleeping,
    /// read, write, pread, pwrite, fsync, fdatasync, …
    Io,
    /// futex, epoll, poll: waiting for work.
    Idle,
    Other,
}

fn classify(syscall: &str) -> State {
    let first = syscall.split_whitespace().next().unwrap_or("");
    if first == "running" {
        return State::Running;
    }
    match first.parse::<i64>() {
        Ok(35 | 230) => State::Sleeping,
        Ok(0 | 1 | 17 | 18 | 19 | 20 | 74 | 75 | 295 | 296) => State::Io,
        Ok(7 | 23 | 202 | 232 | 270 | 271 | 281 | 441) => State::Idle,
        _ => State::Other,
    }
}

/// Shares of the window (0–1 each) a thread, or a group of threads (sums), spent in each state.
#[derive(Debug, Clone, Serialize)]
pub struct StateShares {
    pub name: String,
    pub threads: usize,
    pub running: f64,
    pub sleeping: f64,
    pub io: f64,
    pub idle: f64,
    pub other: f64,
}

/// The sampled states: per thread name (summed over its threads), and the single sqlx thread
/// that was busiest (on SQLite, most likely the one writer connection).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ThreadStates {
    pub samples: u64,
    pub groups: Vec<StateShares>,
    pub busiest_sqlite_thread: Option<StateShares>,
}

#[derive(Default)]
struct Counts {
    name: String,
    states: [u64; 5],
}

/// Samples `pid`'s threads over `window` on a thread of its own; the handle gives the shares.
pub fn sample(pid: u32, window: Window) -> std::thread::JoinHandle<ThreadStates> {
    std::thread::spawn(move || {
        let now = Instant::now();
        if window.from > now {
            std::thread::sleep(window.from - now);
        }
        let mut counts: HashMap<u32, Counts> = HashMap::new();
        let mut samples = 0u64;
        let mut tids: Vec<(u32, String)> = Vec::new();
        let mut listed = Instant::now() - Duration::from_secs(10);
        while Instant::now() < window.until {
            if listed.elapsed() >= Duration::from_secs(1) {
                tids = list_threads(pid);
                listed = Instant::now();
            }
            for (tid, name) in &tids {
                let path = format!("/proc/{pid}/task/{tid}/syscall");
                let Ok(syscall) = std::fs::read_to_string(path) else { continue };
                let entry = counts
                    .entry(*tid)
                    .or_insert_with(|| Counts { name: name.clone(), states: [0; 5] });
                entry.states[classify(&syscall) as usize] += 1;
            }
            samples += 1;
            std::thread::sleep(EVERY);
        }
        summarize(&counts, samples)
    })
}

fn list_threads(pid: u32) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|entry| {
            let tid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let name = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            Some((tid, name.trim().to_owned()))
        })
        .collect()
}

fn shares(name: &str, threads: usize, states: &[u64; 5], samples: u64) -> StateShares {
    let share = |n: u64| n as f64 / samples.max(1) as f64;
    StateShares {
        name: name.to_owned(),
        threads,
        running: share(states[State::Running as usize]),
        sleeping: share(states[State::Sleeping as usize]),
        io: share(states[State::Io as usize]),
        idle: share(states[State::Idle as usize]),
        other: share(states[State::Other as usize]),
    }
}

fn summarize(counts: &HashMap<u32, Counts>, samples: u64) -> ThreadStates {
    let mut groups: HashMap<&str, (usize, [u64; 5])> = HashMap::new();
    for thread in counts.values() {
        let group = groups.entry(thread.name.as_str()).or_insert((0, [0; 5]));
        group.0 += 1;
        for (sum, n) in group.1.iter_mut().zip(thread.states) {
            *sum += n;
        }
    }
    let mut groups: Vec<StateShares> = groups
        .into_iter()
        .map(|(name, (threads, states))| shares(name, threads, &states, samples))
        .collect();
    groups.sort_by(|a, b| {
        (b.running + b.sleeping + b.io).total_cmp(&(a.running + a.sleeping + a.io))
    });
    let busy = |states: &[u64; 5]| states[0] + states[1] + states[2];
    let busiest_sqlite_thread = counts
        .values()
        .filter(|thread| thread.name.starts_with("sqlx-sqlite"))
        .max_by_key(|thread| busy(&thread.states))
        .map(|thread| shares(&thread.name, 1, &thread.states, samples));
    ThreadStates { samples, groups, busiest_sqlite_thread }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn syscall_lines_are_told_apart() {
        assert_eq!(classify("running"), State::Running);
        assert_eq!(classify("230 0x0 0x0 0x7ffe 0x0"), State::Sleeping);
        assert_eq!(classify("202 0x7f 0x80 0x0"), State::Idle);
        assert_eq!(classify("17 0x5 0x7f 0x1000"), State::Io);
        assert_eq!(classify("-1 0x0"), State::Other);
    }

    #[test]
    fn a_sleeping_thread_of_this_process_is_seen_sleeping() {
        let sleeper = std::thread::Builder::new()
            .name("sleeper".into())
            .spawn(|| std::thread::sleep(Duration::from_millis(400)))
            .unwrap();
        let from = Instant::now() + Duration::from_millis(50);
        let window = Window { from, until: from + Duration::from_millis(200) };
        let states = sample(std::process::id(), window).join().unwrap();
        sleeper.join().unwrap();
        assert!(states.samples > 5, "{states:?}");
        let group = states.groups.iter().find(|g| g.name == "sleeper").unwrap();
        assert!(group.sleeping > 0.8, "{group:?}");
    }
}
