//! The run's results, as text for people and JSON for scripts.

use std::time::Duration;

use serde_json::{json, Value};

use super::config::LoadConfig;
use super::cpu::CpuTimes;
use super::driver::Tally;

/// CPU time and resident memory of one process over the measured window.
#[derive(Debug, Clone)]
pub struct ProcessUsage {
    /// CPU time spent in the window.
    pub cpu: CpuTimes,
    /// Resident memory at the start of the window (other processes only).
    pub rss_before: Option<u64>,
    /// Resident memory at the end of the window (other processes only).
    pub rss_after: Option<u64>,
}

/// Everything a run measured.
#[derive(Debug)]
pub struct Report {
    /// The plan that was run.
    pub cfg: LoadConfig,
    /// Merged counts of every connection.
    pub tally: Tally,
    /// Length of the measured window, from its start until the last request finished.
    pub window: Duration,
    /// Size of one request body without a token.
    pub avg_body_bytes: usize,
    /// The tool's own usage.
    pub client: Option<ProcessUsage>,
    /// The server's usage, with `--server-pid`.
    pub server: Option<ProcessUsage>,
    /// With `--server-pid`: the server's CPU time in each whole interval of the window.
    pub server_cpu_per_interval: Vec<CpuTimes>,
}

impl Report {
    fn per_second(&self, n: u64) -> f64 {
        let s = self.window.as_secs_f64();
        if s > 0.0 {
            n as f64 / s
        } else {
            0.0
        }
    }

    /// Successful requests per second.
    pub fn requests_per_s(&self) -> f64 {
        self.per_second(self.tally.ok)
    }

    /// Events per second in successful requests.
    pub fn events_per_s(&self) -> f64 {
        self.per_second(self.tally.events)
    }

    fn usage_json(&self, u: &Option<ProcessUsage>) -> Value {
        match u {
            None => Value::Null,
            Some(u) => {
                let total = u.cpu.total_s();
                let requests = self.tally.ok + self.tally.failed;
                json!({
                    "user_s": u.cpu.user_s,
                    "system_s": u.cpu.system_s,
                    "total_s": total,
                    "cores_used": if self.window.is_zero() { 0.0 } else { total / self.window.as_secs_f64() },
                    "cpu_us_per_request": if requests == 0 { 0.0 } else { total * 1e6 / requests as f64 },
                    "rss_before_bytes": u.rss_before,
                    "rss_after_bytes": u.rss_after,
                })
            }
        }
    }

    /// How many whole intervals the window covered: fewer than the duration holds when the run
    /// ended early (`--requests`).
    fn covered_intervals(&self) -> usize {
        let covered = self.window.as_secs_f64() / self.cfg.interval.as_secs_f64();
        (covered.floor() as usize).min(self.tally.per_interval.len())
    }

    /// Requests per second in each whole interval of the window.
    pub fn interval_rates(&self) -> Vec<f64> {
        let secs = self.cfg.interval.as_secs_f64();
        self.tally.per_interval[..self.covered_intervals()]
            .iter()
            .map(|&n| n as f64 / secs)
            .collect()
    }

    /// The lowest and the mean interval rate as fractions of the first interval's (`None` with
    /// fewer than two intervals or an empty first one): how flat throughput stayed as the
    /// server's store grew.
    pub fn flatness(&self) -> Option<(f64, f64)> {
        let rates = self.interval_rates();
        let first = *rates.first()?;
        if rates.len() < 2 || first <= 0.0 {
            return None;
        }
        let lowest = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        Some((lowest / first, mean / first))
    }

    /// With `--server-pid`: the server's CPU microseconds per successful request in each whole
    /// interval (`None` for an interval without one), all of it or (`user_only`) only the time
    /// in user mode, which leaves out what the kernel charged (page faults for fresh memory
    /// above all) and so isolates what the server's own code costs.
    pub fn interval_cpu_per_request_us(&self, user_only: bool) -> Vec<Option<f64>> {
        self.server_cpu_per_interval
            .iter()
            .zip(&self.tally.per_interval[..self.covered_intervals()])
            .map(|(cpu, &n)| {
                let secs = if user_only { cpu.user_s } else { cpu.total_s() };
                (n > 0).then(|| secs * 1e6 / n as f64)
            })
            .collect()
    }

    /// The highest interval's server CPU per request (all, or in user mode) as a multiple of the
    /// first interval's: above 1 when requests got dearer as the store grew.
    pub fn cpu_growth(&self, user_only: bool) -> Option<f64> {
        let per = self.interval_cpu_per_request_us(user_only);
        let first = (*per.first()?)?;
        if per.len() < 2 || first <= 0.0 {
            return None;
        }
        let highest = per.iter().flatten().copied().fold(0.0, f64::max);
        Some(highest / first)
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> Value {
        let c = &self.cfg;
        let t = &self.tally;
        json!({
            "endpoint": c.endpoint,
            "workload": {
                "connections": c.connections,
                "streams": c.streams,
                "shared_stream": c.streams == 1 && c.connections > 1,
                "events_per_batch": c.events_per_batch,
                "event_bytes": c.event_bytes,
                "body_bytes": self.avg_body_bytes,
                "duration_s": c.duration.as_secs_f64(),
                "warmup_s": c.warmup.as_secs_f64(),
                "requests_cap": c.requests,
                "sequence_tokens": c.sequence_tokens,
                "threads": c.threads,
                "spread_ms": c.spread_ms,
                "live_timestamps": c.live_timestamps,
                "late_ms": c.late_ms,
                "late_every": c.late_every,
                "repeat_every": c.repeat_every,
            },
            "window_s": self.window.as_secs_f64(),
            "requests_ok": t.ok,
            "requests_failed": t.failed,
            "events": t.events,
            "requests_per_s": self.requests_per_s(),
            "events_per_s": self.events_per_s(),
            "payload_mb_per_s": self.per_second(t.payload_bytes) / 1e6,
            "wire_mb_per_s": self.per_second(t.body_bytes) / 1e6,
            "latency_us": {
                "p50": t.latency.percentile(50.0),
                "p99": t.latency.percentile(99.0),
                "max": t.latency.max(),
                "mean": t.latency.mean(),
            },
            "errors": t.errors,
            "responses_with_rejected_events": t.rejected_responses,
            "reconnects": t.reconnects,
            "client": self.usage_json(&self.client),
            "server": self.usage_json(&self.server),
            "over_time": {
                "interval_s": c.interval.as_secs_f64(),
                "requests_per_s": self.interval_rates(),
                "lowest_vs_first": self.flatness().map(|f| f.0),
                "mean_vs_first": self.flatness().map(|f| f.1),
                "server_cpu_per_request_us": self.interval_cpu_per_request_us(false),
                "server_cpu_highest_vs_first": self.cpu_growth(false),
                "server_user_cpu_per_request_us": self.interval_cpu_per_request_us(true),
                "server_user_cpu_highest_vs_first": self.cpu_growth(true),
            },
        })
    }

    /// The report as a few aligned lines of text.
    pub fn to_text(&self) -> String {
        let c = &self.cfg;
        let t = &self.tally;
        let mut s = String::new();
        let mode = if c.streams == 1 && c.connections > 1 {
            "one shared stream".to_owned()
        } else {
            format!("{} streams", c.streams)
        };
        s.push_str(&format!(
            "cwlogs-load -> {}\n  workload    {} connections, {mode}, {} events x {} B per batch ({} B body), tokens {}\n",
            c.endpoint,
            c.connections,
            c.events_per_batch,
            c.event_bytes,
            self.avg_body_bytes,
            if c.sequence_tokens { "carried" } else { "ignored" },
        ));
        s.push_str(&format!(
            "  window      {:.3} s ({} ok, {} failed)\n",
            self.window.as_secs_f64(),
            t.ok,
            t.failed
        ));
        s.push_str(&format!(
            "  throughput  {:.0} requests/s, {:.0} events/s, {:.2} MB/s payload, {:.2} MB/s on the wire\n",
            self.requests_per_s(),
            self.events_per_s(),
            self.per_second(t.payload_bytes) / 1e6,
            self.per_second(t.body_bytes) / 1e6,
        ));
        s.push_str(&format!(
            "  latency     p50 {} us, p99 {} us, max {} us, mean {:.0} us\n",
            t.latency.percentile(50.0),
            t.latency.percentile(99.0),
            t.latency.max(),
            t.latency.mean()
        ));
        if let Some((lowest, mean)) = self.flatness() {
            let rates: Vec<String> = self
                .interval_rates()
                .iter()
                .map(|r| format!("{r:.0}"))
                .collect();
            s.push_str(&format!(
                "  over time   requests/s per {} s: {}; lowest {lowest:.2} and mean {mean:.2} of the first\n",
                c.interval.as_secs_f64(),
                rates.join(" "),
            ));
        }
        for (label, user_only) in [("server cpu", false), ("server user", true)] {
            if let Some(growth) = self.cpu_growth(user_only) {
                let per: Vec<String> = self
                    .interval_cpu_per_request_us(user_only)
                    .iter()
                    .map(|v| v.map_or("-".to_owned(), |v| format!("{v:.0}")))
                    .collect();
                s.push_str(&format!(
                    "  {label:<11} us per request per {} s: {}; highest {growth:.2} of the first\n",
                    c.interval.as_secs_f64(),
                    per.join(" "),
                ));
            }
        }
        if t.errors.is_empty() {
            s.push_str("  errors      none\n");
        } else {
            let list: Vec<String> = t.errors.iter().map(|(k, v)| format!("{k} x{v}")).collect();
            s.push_str(&format!("  errors      {}\n", list.join(", ")));
        }
        if t.rejected_responses > 0 || t.reconnects > 0 {
            s.push_str(&format!(
                "  notes       {} responses rejected some events, {} reconnects\n",
                t.rejected_responses, t.reconnects
            ));
        }
        for (name, u) in [("client cpu", &self.client), ("server cpu", &self.server)] {
            if let Some(u) = u {
                let secs = self.window.as_secs_f64();
                s.push_str(&format!(
                    "  {name}  {:.2} s user + {:.2} s system = {:.2} cores",
                    u.cpu.user_s,
                    u.cpu.system_s,
                    if secs > 0.0 {
                        u.cpu.total_s() / secs
                    } else {
                        0.0
                    }
                ));
                if let (Some(b), Some(a)) = (u.rss_before, u.rss_after) {
                    s.push_str(&format!(
                        ", rss {:.1} -> {:.1} MiB",
                        b as f64 / 1048576.0,
                        a as f64 / 1048576.0
                    ));
                }
                s.push('\n');
            }
        }
        s
    }
}
