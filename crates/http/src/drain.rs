//! Keep-alive connections survive answers given before the body was read.
//!
//! A handler may answer without reading the request's body: a 401 from the token
//! extractor, a 404, a 405. actix then closes the connection once the answer is out
//! (the unread body is still on the wire, so the next request cannot be parsed), but
//! without `Connection: close`: a client reusing the connection gets a broken pipe on
//! its next request, and mobile clients do not resend a POST. So this middleware
//! keeps hold of the body behind the handler's back and, once the handler has
//! answered, reads what it left unread, up to [`DRAIN_BYTES`] and [`DRAIN_WAIT`]: the
//! connection then stays usable. A body larger or slower than that is not waited for;
//! the answer says `Connection: close` instead.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{ConnectionType, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_core::Stream;

use crate::BODY_LIMIT;

/// Most unread body bytes read after an answer to keep the connection.
const DRAIN_BYTES: usize = BODY_LIMIT;

/// Longest wait for the rest of an unread body after an answer.
const DRAIN_WAIT: Duration = Duration::from_secs(1);

/// The middleware (`from_fn`). Requests without a body pass untouched.
///
/// # Errors
/// Whatever the wrapped service returns.
pub async fn drain_unread_body(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !declares_body(&req) {
        return next.call(req).await;
    }
    let body = Rc::new(RefCell::new(Some(req.take_payload())));
    req.set_payload(Payload::Stream { payload: Box::pin(Shared(Rc::clone(&body))) });
    let mut res = next.call(req).await?;
    let left = body.borrow_mut().take();
    if let Some(rest) = left
        && !drained(rest).await
    {
        res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}

fn declares_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|length| length > 0)
}

/// Reads `body` to its end; false when it is longer than [`DRAIN_BYTES`], slower than
/// [`DRAIN_WAIT`], or broken.
async fn drained(mut body: Payload) -> bool {
    let read_all = async {
        let mut read = 0usize;
        loop {
            match std::future::poll_fn(|cx| Pin::new(&mut body).poll_next(cx)).await {
                None => return true,
                Some(Ok(chunk)) => {
                    read = read.saturating_add(chunk.len());
                    if read > DRAIN_BYTES {
                        return false;
                    }
                }
                Some(Err(_)) => return false,
            }
        }
    };
    tokio::time::timeout(DRAIN_WAIT, read_all).await.unwrap_or(false)
}

/// The body as the handler sees it, while the middleware keeps the original.
struct Shared(Rc<RefCell<Option<Payload>>>);

impl Stream for Shared {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.0.borrow_mut().as_mut() {
            Some(body) => Pin::new(body).poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}
