//! Runs one scenario for real: a `MockServer` on a free loopback port, one `Shipper` per
//! simulated process with its own SDK client and credentials, every shipper sending and shutting
//! down in its own task, then the oracle read back.
//!
//! Every await that depends on the system under test is bounded: each shutdown by its deadline
//! plus [`SHUTDOWN_GRACE`], the shippers' sending and shutting down by [`SHIP_LIMIT`], and the
//! whole case by [`CASE_LIMIT`]. Running past one is reported as a hang, with every shipper's
//! report, counters and writer state, never waited out.

use super::oracle::{self, Stored};
use super::scenario::{Scenario, GROUP, REQUEST_TIMEOUT};
use aws_sdk_cloudwatchlogs::config::{BehaviorVersion, Region};
use aws_sdk_cloudwatchlogs::Client;
use mock_server::MockServer;
use sdk_adapter::{DeliveryReport, Shipper, UnixMillis};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// The most one case may take, whatever happens; far above a healthy case's few seconds.
pub const CASE_LIMIT: Duration = Duration::from_secs(120);

/// How long the shippers may take to send everything and shut down, before the run is reported
/// as a hang with every shipper's state.
const SHIP_LIMIT: Duration = Duration::from_secs(90);

/// Every shipper's report and counters, to say where a hung case stood.
fn describe_stuck(shippers: &[Shipper]) -> String {
    let mut out = String::new();
    for (k, shipper) in shippers.iter().enumerate() {
        out.push_str(&format!(
            "shipper {k}: {:#?}\ncounters: {:#?}\nstate: {shipper:?}\n",
            shipper.report(),
            shipper.counters()
        ));
    }
    out
}

/// How long after its deadline a shutdown may still take to return before it counts as a hang
/// (it has to stop its tasks and wait for them, which takes no time on a healthy machine).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What one shipper ended with.
#[derive(Debug)]
pub struct ShipperRun {
    /// The report `shutdown` returned.
    pub report: DeliveryReport,
    /// Sends that returned an error (none are expected: `send` either waits for room or the
    /// overflow policy accepts the event), as `stream event-index: error`.
    pub send_errors: Vec<String>,
}

/// Everything a case observed, for the invariants.
#[derive(Debug)]
pub struct Observed {
    /// One entry per shipper, by index.
    pub shippers: Vec<ShipperRun>,
    /// What each stream holds, by stream index, in storage order.
    pub stored: Vec<Vec<Stored>>,
    /// The mock's counters after every shipper shut down.
    pub stats: serde_json::Value,
    /// The case's base time, from which every sent timestamp derives.
    pub base: UnixMillis,
}

/// Runs `scenario` on a runtime of its own (proptest bodies are synchronous).
pub fn run(scenario: &Scenario) -> Result<Observed, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    runtime.block_on(async {
        match tokio::time::timeout(CASE_LIMIT, run_on_mock(scenario)).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the case did not finish within {CASE_LIMIT:?}: a send or the oracle hung"
            )),
        }
    })
}

async fn run_on_mock(scenario: &Scenario) -> Result<Observed, String> {
    let mock = MockServer::start(scenario.mock_config())
        .await
        .map_err(|e| format!("mock start: {e}"))?;
    // A little in the past, so that timestamps stepping forward stay far from "too new".
    let base = now_ms().minus_ms(10 * 60_000);
    if scenario.precreate {
        create_group_and_streams(scenario, &mock.endpoint()).await?;
    }
    let mut tasks = Vec::with_capacity(scenario.shippers);
    let mut handles = Vec::with_capacity(scenario.shippers);
    for k in 0..scenario.shippers {
        let shipper = build_shipper(scenario, k, &mock.endpoint())?;
        handles.push(shipper.clone());
        tasks.push(tokio::spawn(ship(scenario.clone(), k, shipper, base)));
    }
    let give_up = Instant::now() + SHIP_LIMIT;
    let mut shippers = Vec::with_capacity(tasks.len());
    for (k, task) in tasks.into_iter().enumerate() {
        let Ok(joined) = tokio::time::timeout_at(give_up, task).await else {
            return Err(format!(
                "shipper {k} had not sent its events and shut down after {SHIP_LIMIT:?}: a hang\n{}",
                describe_stuck(&handles)
            ));
        };
        let run = joined.map_err(|e| format!("shipper {k}'s task failed: {e}"))??;
        shippers.push(run);
    }
    let addr = mock.local_addr();
    let mut stored = Vec::with_capacity(scenario.streams);
    for j in 0..scenario.streams {
        stored.push(oracle::events(addr, GROUP, &Scenario::stream_name(j)).await?);
    }
    let stats = oracle::stats(addr).await?;
    Ok(Observed {
        shippers,
        stored,
        stats,
        base,
    })
}

/// Creates the group and every stream with a plain client (the SDK's retries on, for the quotas).
async fn create_group_and_streams(scenario: &Scenario, endpoint: &str) -> Result<(), String> {
    let client = client(endpoint, "AKIDTIER2SETUP".to_owned());
    client
        .create_log_group()
        .log_group_name(GROUP)
        .send()
        .await
        .map_err(|e| format!("CreateLogGroup: {e:?}"))?;
    for j in 0..scenario.streams {
        client
            .create_log_stream()
            .log_group_name(GROUP)
            .log_stream_name(Scenario::stream_name(j))
            .send()
            .await
            .map_err(|e| format!("CreateLogStream {j}: {e:?}"))?;
    }
    Ok(())
}

/// Shipper `k`: its own client (own access key, as another process would have) on the mock.
fn build_shipper(scenario: &Scenario, k: usize, endpoint: &str) -> Result<Shipper, String> {
    let mut builder = Shipper::builder(client(endpoint, format!("AKIDTIER2SHIPPER{k}")), GROUP);
    for j in 0..scenario.streams {
        builder = builder.stream(Scenario::stream_name(j));
    }
    builder
        .writer_config(scenario.writer_config(k))
        .request_timeout(REQUEST_TIMEOUT)
        .block_when_full(scenario.blocks_when_full())
        .build()
        .map_err(|e| format!("shipper {k}: {e}"))
}

/// An SDK client for the mock with static test credentials under `access_key`.
fn client(endpoint: &str, access_key: String) -> Client {
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new(
            access_key,
            "secret",
            None,
            None,
            "adapter_vs_mock",
        ))
        .endpoint_url(endpoint)
        .build();
    Client::from_conf(config)
}

/// Sends shipper `k`'s events, interleaving the streams in index order, then shuts down.
async fn ship(
    scenario: Scenario,
    k: usize,
    shipper: Shipper,
    base: UnixMillis,
) -> Result<ShipperRun, String> {
    let mut send_errors = Vec::new();
    for i in 0..scenario.events {
        for j in 0..scenario.streams {
            let stream = Scenario::stream_name(j);
            if let Err(e) = shipper
                .send_to(&stream, scenario.event(k, j, i, base))
                .await
            {
                send_errors.push(format!("{stream} event {i}: {e}"));
            }
        }
    }
    let deadline = scenario.shutdown_deadline();
    let report = tokio::time::timeout(
        deadline + SHUTDOWN_GRACE,
        shipper.shutdown(Instant::now() + deadline),
    )
    .await
    .map_err(|_| {
        format!(
            "shipper {k}'s shutdown with a {deadline:?} deadline had not returned {SHUTDOWN_GRACE:?} \
             after it: a hang"
        )
    })?;
    Ok(ShipperRun {
        report,
        send_errors,
    })
}

fn now_ms() -> UnixMillis {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    UnixMillis(i64::try_from(ms).unwrap_or(i64::MAX))
}
