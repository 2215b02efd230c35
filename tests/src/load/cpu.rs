//! CPU time and resident memory of a process, read from `/proc` (Linux only).
//!
//! The load tool reports its own cost so that a reader can tell whether the generator, rather
//! than the server, was the bottleneck. `/proc/PID/stat` counts user and system time of all the
//! process's threads in clock ticks; Linux exports those in USER_HZ, which is 100 on every
//! architecture the kernel supports, so no `sysconf` call (and no `libc`) is needed.

/// Clock ticks per second in `/proc/PID/stat` (the kernel's USER_HZ).
const USER_HZ: f64 = 100.0;

/// User and system CPU time of a process, in seconds, at 10 ms resolution.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTimes {
    /// Time spent in user mode.
    pub user_s: f64,
    /// Time spent in the kernel on the process's behalf.
    pub system_s: f64,
}

impl CpuTimes {
    /// User plus system time.
    pub fn total_s(&self) -> f64 {
        self.user_s + self.system_s
    }

    /// The time spent between `earlier` and `self`.
    pub fn since(&self, earlier: &CpuTimes) -> CpuTimes {
        CpuTimes {
            user_s: self.user_s - earlier.user_s,
            system_s: self.system_s - earlier.system_s,
        }
    }
}

/// Reads the CPU times of `pid`, or of this process when `pid` is `None`.
pub fn cpu_times(pid: Option<u32>) -> std::io::Result<CpuTimes> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    parse_stat(&std::fs::read_to_string(path)?).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "unexpected /proc stat format",
        )
    })
}

/// Parses the `utime` and `stime` fields (14 and 15) of a `/proc/PID/stat` line.
pub fn parse_stat(line: &str) -> Option<CpuTimes> {
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    let rest = &line[line.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    // `rest` starts at field 3 (state), so utime is the 12th item (index 11).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(CpuTimes {
        user_s: utime as f64 / USER_HZ,
        system_s: stime as f64 / USER_HZ,
    })
}

/// Reads the resident set size (`VmRSS`) of `pid` in bytes.
pub fn rss_bytes(pid: u32) -> std::io::Result<u64> {
    parse_vm_rss(&std::fs::read_to_string(format!("/proc/{pid}/status"))?)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no VmRSS line"))
}

/// Parses the `VmRSS:   1234 kB` line of `/proc/PID/status`.
pub fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line["VmRSS:".len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_a_tricky_command_name() {
        let line =
            "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 3 0 1 2 3";
        let t = parse_stat(line).expect("parses");
        assert_eq!(t.user_s, 2.5);
        assert_eq!(t.system_s, 0.37);
    }

    #[test]
    fn reads_this_process() {
        // The reading must follow the CPU this thread burns: spin until the user time read back
        // advances past the 10 ms tick (bounded by 10 s of wall time, which a reading stuck on the
        // wrong fields never passes).
        let before = cpu_times(Some(std::process::id())).expect("own stat by pid");
        let started = std::time::Instant::now();
        let mut spins = 0u64;
        let after = loop {
            for _ in 0..100_000 {
                spins = std::hint::black_box(spins.wrapping_add(1));
            }
            let now = cpu_times(None).expect("own stat");
            if now.user_s > before.user_s || started.elapsed().as_secs() >= 10 {
                break now;
            }
        };
        let spent = after.since(&before);
        assert!(
            spent.user_s > 0.0,
            "no user time seen after busy work: {spent:?}"
        );
        assert!(
            spent.system_s >= 0.0,
            "system time went backwards: {spent:?}"
        );
        assert!(rss_bytes(std::process::id()).expect("own status") > 0);
    }

    #[test]
    fn parses_vm_rss() {
        assert_eq!(
            parse_vm_rss("Name:\tx\nVmRSS:\t   2048 kB\n"),
            Some(2048 * 1024)
        );
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
    }
}
