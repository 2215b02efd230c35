//! `cwlogs-baseline`: the transport's ceiling for a PutLogEvents benchmark. A minimal hyper 1
//! HTTP/1.1 server on loopback that reads each request body to the end and answers a fixed
//! awsJson1_1 success (`{"nextSequenceToken":"1"}` for PutLogEvents, `{}` for anything else),
//! deciding nothing and storing nothing. `cwlogs-load` against it and against `cwlogs-mock`, in the
//! same run, says how close the mock comes to what the HTTP stack alone allows.
//!
//! With `--keep` it also keeps every request body in memory until it exits: the floor for any
//! server that stores what it is sent, since on a VM the kernel's cost of handing out fresh pages
//! (about 1 GB/s per core on the bench machine) is paid per stored byte, whatever the server does.
//!
//! Prints `cwlogs-baseline listening on http://ADDR` as its first stdout line, like the mock.
//! Usage: `cwlogs-baseline [--keep] [PORT]` (0, the default, picks a free port).

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// The answer to every PutLogEvents, as the service writes it for today's token mode.
const PUT_ANSWER: &str = r#"{"nextSequenceToken":"1"}"#;

/// Every body received, when `--keep` is given.
type Kept = Option<Arc<Mutex<Vec<Bytes>>>>;

async fn answer(req: Request<Incoming>, kept: Kept) -> Result<Response<Full<Bytes>>, Infallible> {
    let is_put = req
        .headers()
        .get("x-amz-target")
        .is_some_and(|t| t.as_bytes().ends_with(b".PutLogEvents"));
    // Read the whole body, as any server that decides on it must; a broken one still gets an
    // answer (the client is gone anyway).
    if let Ok(body) = req.into_body().collect().await {
        if let Some(kept) = kept {
            let body = body.to_bytes();
            kept.lock().unwrap_or_else(|e| e.into_inner()).push(body);
        }
    }
    let body = if is_put { PUT_ANSWER } else { "{}" };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    Ok(response)
}

fn main() -> std::process::ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let keep = args.first().is_some_and(|a| a == "--keep");
    if keep {
        args.remove(0);
    }
    let kept: Kept = keep.then(Arc::default);
    let port: u16 = match args.first().map(|p| p.parse()) {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            eprintln!("cwlogs-baseline: the port must be a number: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cwlogs-baseline: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cwlogs-baseline: cannot listen on {addr}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let local = listener.local_addr().unwrap_or(addr);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "cwlogs-baseline listening on http://{local}");
        let _ = out.flush();
        drop(out);
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| answer(req, kept.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
