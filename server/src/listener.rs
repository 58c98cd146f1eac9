//! Serves one router over HTTP/1.1 and HTTP/2 (prior knowledge) on one port,
//! with flow-control windows sized for multi-megabyte chunk messages.
//!
//! Connections are bounded: at most [`ListenerLimits::max_connections`] at
//! once (kept below the file-descriptor limit), one that has no request in
//! flight for [`ListenerLimits::idle_timeout`] is closed, and at the cap the
//! connection idle the longest makes room for a new one. So silent or
//! trickling clients cannot hold the server's descriptors until nobody else
//! gets in.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use http_body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// HTTP/2 windows: large enough that a 4-8 MiB chunk is not throttled by
/// window updates, small enough to bound what one connection buffers.
const STREAM_WINDOW: u32 = 8 * 1024 * 1024;
const CONNECTION_WINDOW: u32 = 32 * 1024 * 1024;
const GRACE: Duration = Duration::from_secs(5);
/// File descriptors kept free for the database, the chunk store and logs.
const RESERVED_FDS: u64 = 256;
/// Connections being closed may exceed the cap by this many while they go.
const CLOSING_ALLOWANCE: usize = 64;

#[derive(Debug, Clone, Copy)]
pub struct ListenerLimits {
    pub max_connections: usize,
    /// A connection without a request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// An HTTP/1 client must send its request head within this time.
    pub header_read_timeout: Duration,
}

impl Default for ListenerLimits {
    fn default() -> Self {
        ListenerLimits {
            max_connections: 10_000,
            idle_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(30),
        }
    }
}

/// The peer of the connection a request came in on, in its extensions.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Raises the soft file-descriptor limit to the hard one and returns how
/// many connections fit below it.
pub fn connection_capacity(wanted: usize) -> usize {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    let soft = unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return wanted;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = limit.rlim_max;
            }
        }
        limit.rlim_cur
    };
    let fits = soft.saturating_sub(RESERVED_FDS).max(16);
    wanted.min(usize::try_from(fits).unwrap_or(usize::MAX))
}

/// What the accept loop knows of one connection.
struct Activity {
    /// Requests whose response has not been fully sent.
    in_flight: AtomicUsize,
    /// Milliseconds since the listener started, at the last request start or end.
    last_active: AtomicU64,
    epoch: Instant,
    closing: AtomicBool,
    close: Notify,
}

impl Activity {
    fn touch(&self) {
        self.last_active.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// How long the connection has had no request in flight; None while
    /// it has one, or once it is being closed.
    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::Relaxed) > 0 || self.closing.load(Ordering::Relaxed) {
            return None;
        }
        let since = self.epoch.elapsed().as_millis() as u64 - self.last_active.load(Ordering::Relaxed);
        Some(Duration::from_millis(since))
    }
}

/// Counts a request in flight until its response body is dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that keeps its request counted until it is done.
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

type Connections = Arc<Mutex<HashMap<u64, Arc<Activity>>>>;

pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: ListenerLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_frame_size(1024 * 1024)
        .max_send_buf_size(1024 * 1024);
    let max_connections = connection_capacity(limits.max_connections);
    let epoch = Instant::now();
    let connections: Connections = Arc::default();
    let mut tasks = JoinSet::new();
    let mut reaper = tokio::time::interval((limits.idle_timeout / 4).max(Duration::from_millis(100)));
    let mut next_id = 0u64;
    tokio::pin!(shutdown);
    loop {
        if !make_room(&connections, max_connections) {
            // Every connection is busy: new clients wait in the backlog.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(20)) => continue,
                _ = &mut shutdown => break,
            }
        }
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = reaper.tick() => {
                close_idle(&connections, limits.idle_timeout);
                continue;
            }
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let id = next_id;
        let activity = Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(epoch.elapsed().as_millis() as u64),
            epoch,
            closing: AtomicBool::new(false),
            close: Notify::new(),
        });
        connections.lock().expect("connections lock").insert(id, activity.clone());
        let service = {
            let (app, activity) = (app.clone(), activity.clone());
            tower::service_fn(move |mut request: http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(PeerAddr(peer));
                let in_flight = InFlight::start(&activity);
                let app = app.clone();
                async move {
                    let response = app.oneshot(request).await.unwrap_or_else(|never: Infallible| match never {});
                    Ok::<_, Infallible>(response.map(|body| Body::new(TrackedBody { body, _in_flight: in_flight })))
                }
            })
        };
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            )
            .into_owned();
        let connections = connections.clone();
        tasks.spawn(async move {
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(err) = result {
                        tracing::debug!(%peer, error = %err, "connection ended with an error");
                    }
                }
                _ = activity.close.notified() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(GRACE, connection).await;
                }
            }
            connections.lock().expect("connections lock").remove(&id);
        });
        // Reap finished connection tasks so the set does not grow forever.
        while tasks.try_join_next().is_some() {}
    }
    drop(listener);
    for activity in connections.lock().expect("connections lock").values() {
        close(activity);
    }
    if tokio::time::timeout(GRACE, async { while tasks.join_next().await.is_some() {} }).await.is_err() {
        tracing::info!("connections still open after the grace period; closing them");
    }
    tasks.abort_all();
    Ok(())
}

/// Closes every connection idle for longer than `timeout`.
fn close_idle(connections: &Connections, timeout: Duration) {
    for activity in connections.lock().expect("connections lock").values() {
        if activity.idle_for().is_some_and(|idle| idle >= timeout) {
            close(activity);
        }
    }
}

/// Whether another connection may be accepted, closing the one idle the
/// longest when the open ones reach the cap.
fn make_room(connections: &Connections, max_connections: usize) -> bool {
    let connections = connections.lock().expect("connections lock");
    if connections.len() >= max_connections + CLOSING_ALLOWANCE {
        return false;
    }
    let open = connections.values().filter(|activity| !activity.closing.load(Ordering::Relaxed)).count();
    if open < max_connections {
        return true;
    }
    let most_idle = connections
        .values()
        .filter_map(|activity| activity.idle_for().map(|idle| (idle, activity)))
        .max_by_key(|(idle, _)| *idle);
    let Some((idle, activity)) = most_idle else {
        return false;
    };
    tracing::info!(idle_ms = idle.as_millis() as u64, "connection limit reached; closing the most idle connection");
    close(activity);
    true
}

fn close(activity: &Activity) {
    activity.closing.store(true, Ordering::Relaxed);
    activity.close.notify_one();
}
