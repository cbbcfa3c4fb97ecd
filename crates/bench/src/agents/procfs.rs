//! What Linux says about a process and the machine: resident memory, CPU time per process and
//! per thread, and how busy all cores were. Read before and after the measured window, the
//! differences say whether the server was bound by CPU (both cores busy), by one thread (SQLite's
//! single writer near one core), or by neither.

use serde::Serialize;
use std::collections::HashMap;
use std::time::Instant;

/// Clock ticks per second of the times in /proc/<pid>/stat (`getconf CLK_TCK`).
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

/// VmRSS and VmHWM of process `pid`, in MiB.
pub fn rss_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    (status_kib(&status, "VmRSS:") / 1024.0, status_kib(&status, "VmHWM:") / 1024.0)
}

fn status_kib(status: &str, field: &str) -> f64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// user + system ticks and the command name from one `stat` file.
fn stat_ticks(stat: &str) -> Option<(String, u64)> {
    // The name is in parentheses and may itself hold spaces or parentheses.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // Fields 14 and 15 of stat(5); the first after the name is field 3.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((name, utime + stime))
}

/// CPU time of a process and each of its threads, of every process, and of the whole machine,
/// at one instant.
#[derive(Debug, Clone)]
pub struct CpuSnapshot {
    at: Instant,
    process_ticks: u64,
    threads: HashMap<u32, (String, u64)>,
    processes: HashMap<u32, (String, u64)>,
    machine_busy_ticks: u64,
}

/// One thread's (or process's) share of the window.
#[derive(Debug, Clone, Serialize)]
pub struct TaskCpu {
    /// The thread id, or the process id.
    pub id: u32,
    pub name: String,
    /// Cores it kept busy on average (1.0 = one core all the time).
    pub cores: f64,
}

/// CPU use between two snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct CpuUse {
    pub seconds: f64,
    /// Cores the process kept busy on average.
    pub process_cores: f64,
    /// Cores busy machine-wide (every process), from /proc/stat.
    pub machine_cores: f64,
    /// The busiest threads of the process, busiest first.
    pub threads: Vec<TaskCpu>,
}

impl CpuSnapshot {
    pub fn take(pid: u32) -> Self {
        let process_ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| stat_ticks(&stat))
            .map_or(0, |(_, ticks)| ticks);
        Self {
            at: Instant::now(),
            process_ticks,
            threads: tasks(&format!("/proc/{pid}/task")),
            processes: tasks("/proc"),
            machine_busy_ticks: machine_busy(),
        }
    }

    /// What happened between `self` and the later `after`; `top` threads are kept.
    pub fn until(&self, after: &CpuSnapshot, top: usize) -> CpuUse {
        let seconds = after.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let per_second = ticks_per_second();
        let cores = |ticks: u64| ticks as f64 / per_second / seconds;
        let threads = busiest(&self.threads, &after.threads, cores, &[], top);
        CpuUse {
            seconds,
            process_cores: cores(after.process_ticks.saturating_sub(self.process_ticks)),
            machine_cores: cores(after.machine_busy_ticks.saturating_sub(self.machine_busy_ticks)),
            threads,
        }
    }

    /// The busiest processes between `self` and `after`, leaving out `exclude`. Processes that
    /// started and ended inside the window are not seen (their time is in the machine's total).
    pub fn other_processes(
        &self,
        after: &CpuSnapshot,
        exclude: &[u32],
        top: usize,
    ) -> Vec<TaskCpu> {
        let seconds = after.at.duration_since(self.at).as_secs_f64().max(1e-9);
        let per_second = ticks_per_second();
        let cores = |ticks: u64| ticks as f64 / per_second / seconds;
        busiest(&self.processes, &after.processes, cores, exclude, top)
    }
}

/// (name, user + system ticks) of every numbered entry of a /proc directory: the threads of
/// `/proc/<pid>/task`, or the processes of `/proc`.
fn tasks(dir: &str) -> HashMap<u32, (String, u64)> {
    let mut found = HashMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let Some(id) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if let Some(task) =
            std::fs::read_to_string(entry.path().join("stat")).ok().and_then(|s| stat_ticks(&s))
        {
            found.insert(id, task);
        }
    }
    found
}

/// The `top` tasks that used the most CPU from `before` to `after`, busiest first.
fn busiest(
    before: &HashMap<u32, (String, u64)>,
    after: &HashMap<u32, (String, u64)>,
    cores: impl Fn(u64) -> f64,
    exclude: &[u32],
    top: usize,
) -> Vec<TaskCpu> {
    let mut used: Vec<TaskCpu> = after
        .iter()
        .filter(|(id, _)| !exclude.contains(id))
        .map(|(id, (name, ticks))| {
            let earlier = before.get(id).map_or(0, |(_, ticks)| *ticks);
            TaskCpu { id: *id, name: name.clone(), cores: cores(ticks.saturating_sub(earlier)) }
        })
        .filter(|task| task.cores > 0.0)
        .collect();
    used.sort_by(|a, b| b.cores.total_cmp(&a.cores));
    used.truncate(top);
    used
}

/// Ticks every core spent busy since boot: all but idle and iowait.
fn machine_busy() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|line| line.starts_with("cpu ")) else { return 0 };
    let values: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    total.saturating_sub(idle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_its_name_and_user_plus_system_ticks() {
        let stat = "4242 (tokio-runtime w) S 1 2 3 4 5 6 7 8 9 10 120 30 0 0 20 0 8 0";
        assert_eq!(stat_ticks(stat), Some(("tokio-runtime w".to_owned(), 150)));
    }

    #[test]
    fn this_process_has_memory_and_threads() {
        let pid = std::process::id();
        let (rss, peak) = rss_mib(pid);
        assert!(rss > 0.0 && peak >= rss);
        let before = CpuSnapshot::take(pid);
        // Busy for 200 ms: several clock ticks of CPU on this thread.
        let started = Instant::now();
        let mut spin = 0u64;
        while started.elapsed() < std::time::Duration::from_millis(200) {
            spin = spin.wrapping_add(std::hint::black_box(spin) | 1);
        }
        assert!(spin > 0);
        let after = CpuSnapshot::take(pid);
        let used = before.until(&after, 3);
        assert!(used.process_cores > 0.0 && used.seconds >= 0.2, "{used:?}");
        assert!(!used.threads.is_empty(), "{used:?}");
        assert!(before.other_processes(&after, &[pid], 3).iter().all(|p| p.id != pid));
    }
}
