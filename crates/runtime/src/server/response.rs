//! Response bodies as the gate hands them to the transport: each records the call's code
//! when it ends and holds what the call holds (its concurrency permit, its client's share)
//! until then, releasing both at the last frame rather than when the transport lets go.
//!
//! A client that stops reading stalls its response: HTTP/2 flow control stops the transport
//! from asking the body for more, so nothing inside the body can notice. A watchdog outside
//! it does: every response holding a permit is registered, and one that has sent nothing
//! for the idle timeout is ended, its body (and whatever the handler's stream held) dropped
//! and its permit and share released. If the client reads again, the call ends with
//! DEADLINE_EXCEEDED.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::OwnedSemaphorePermit;
use tonic::Status;
use tonic::body::Body;

use super::shares::ClientShare;
use crate::error::{ApiError, ErrorCode, reasons};
use crate::metrics::CallMetrics;

/// What a call holds until its response ends; the permit and the share are given back
/// when this is dropped.
pub(crate) struct Held {
    pub(crate) call: CallMetrics,
    pub(crate) _permit: Option<OwnedSemaphorePermit>,
    pub(crate) _share: Option<ClientShare>,
}

struct Live {
    body: Body,
    held: Held,
}

/// One response, as its body and the watchdog both see it.
struct Shared {
    /// `None` once the response ended, or was ended by the watchdog.
    live: Mutex<Option<Live>>,
    /// When a frame last went out, in milliseconds since the watchdog's epoch.
    last_progress_ms: AtomicU64,
    /// Set (under `live`'s lock) when the watchdog ended the response.
    stalled: AtomicBool,
}

impl Shared {
    fn live(&self) -> MutexGuard<'_, Option<Live>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ends responses that send nothing for too long; see the module documentation.
pub(crate) struct Watchdog {
    idle_ms: u64,
    epoch: tokio::time::Instant,
    next_id: AtomicU64,
    /// The responses holding a permit. At most the concurrency limit: the check costs a
    /// walk over them, a few times per idle timeout.
    watched: Mutex<HashMap<u64, Arc<Shared>>>,
}

impl Watchdog {
    pub(crate) fn new(idle: Duration) -> Arc<Self> {
        Arc::new(Self {
            idle_ms: millis(idle).max(1),
            epoch: tokio::time::Instant::now(),
            next_id: AtomicU64::new(0),
            watched: Mutex::default(),
        })
    }

    fn now_ms(&self) -> u64 {
        millis(self.epoch.elapsed())
    }

    fn watched(&self) -> MutexGuard<'_, HashMap<u64, Arc<Shared>>> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The body to hand the transport. `watch`: whether a stall ends it (health streams,
    /// which hold no permit and may rightly be quiet for long, are not watched).
    pub(crate) fn body(self: &Arc<Self>, body: Body, held: Held, watch: bool) -> WatchedBody {
        let shared = Arc::new(Shared {
            live: Mutex::new(Some(Live { body, held })),
            last_progress_ms: AtomicU64::new(self.now_ms()),
            stalled: AtomicBool::new(false),
        });
        let registration = watch.then(|| {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            self.watched().insert(id, Arc::clone(&shared));
            (Arc::clone(self), id)
        });
        WatchedBody {
            shared,
            registration,
            stall_reported: false,
        }
    }

    /// Checks a few times per idle timeout until `stop` resolves.
    pub(crate) async fn run(self: Arc<Self>, stop: impl Future<Output = ()>) {
        let period = Duration::from_millis(self.idle_ms / 4)
            .clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticks.tick() => self.end_stalled(),
            }
        }
    }

    fn end_stalled(&self) {
        let now = self.now_ms();
        let stalled: Vec<Arc<Shared>> = self
            .watched()
            .values()
            .filter(|shared| {
                now.saturating_sub(shared.last_progress_ms.load(Ordering::Relaxed)) >= self.idle_ms
            })
            .cloned()
            .collect();
        for shared in stalled {
            let mut live = shared.live();
            // Progress may have come in between the walk and the lock.
            let quiet = now.saturating_sub(shared.last_progress_ms.load(Ordering::Relaxed));
            if quiet < self.idle_ms {
                continue;
            }
            if let Some(mut ended) = live.take() {
                shared.stalled.store(true, Ordering::Relaxed);
                ended.held.call.finish(tonic::Code::DeadlineExceeded);
                tracing::debug!(idle_ms = quiet, "response ended: nothing sent for too long");
            }
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The trailers of a response the watchdog ended, should its client read again.
fn stalled_trailers() -> HeaderMap {
    let status: Status = ApiError::new(
        ErrorCode::DeadlineExceeded,
        reasons::RESPONSE_STALLED,
        "the response sent nothing for too long and was ended",
    )
    .into();
    let mut trailers = HeaderMap::new();
    if status.add_header(&mut trailers).is_err() {
        tracing::debug!("could not write the trailers of a stalled response");
    }
    trailers
}

/// See the module documentation.
pub(crate) struct WatchedBody {
    shared: Arc<Shared>,
    registration: Option<(Arc<Watchdog>, u64)>,
    stall_reported: bool,
}

impl Drop for WatchedBody {
    fn drop(&mut self) {
        if let Some((watchdog, id)) = self.registration.take() {
            watchdog.watched().remove(&id);
        }
    }
}

impl HttpBody for WatchedBody {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let mut live = this.shared.live();
        let Some(current) = live.as_mut() else {
            drop(live);
            if this.shared.stalled.load(Ordering::Relaxed) && !this.stall_reported {
                this.stall_reported = true;
                return Poll::Ready(Some(Ok(Frame::trailers(stalled_trailers()))));
            }
            return Poll::Ready(None);
        };
        let polled = Pin::new(&mut current.body).poll_frame(cx);
        let ended = match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some((watchdog, _)) = &this.registration {
                    this.shared
                        .last_progress_ms
                        .store(watchdog.now_ms(), Ordering::Relaxed);
                }
                frame.trailers_ref().map(|trailers| {
                    Status::from_header_map(trailers).map_or(tonic::Code::Ok, |s| s.code())
                })
            }
            Poll::Ready(Some(Err(status))) => Some(status.code()),
            Poll::Ready(None) => Some(tonic::Code::Ok),
            Poll::Pending => None,
        };
        if let Some(code) = ended
            && let Some(mut finished) = live.take()
        {
            // The permit and the share go back now, not when the transport drops the body.
            finished.held.call.finish(code);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        match self.shared.live().as_ref() {
            Some(current) => current.body.is_end_stream(),
            // Ended, unless the watchdog's trailers are still to be sent.
            None => !self.shared.stalled.load(Ordering::Relaxed) || self.stall_reported,
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.shared
            .live()
            .as_ref()
            .map_or_else(SizeHint::default, |current| current.body.size_hint())
    }
}
