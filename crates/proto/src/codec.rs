//! The codec of the generated servers: tonic-prost's, except that a request whose bytes do
//! not decode (a bad varint, a truncated field, a string that is not UTF-8) is the caller's
//! fault: INVALID_ARGUMENT with ErrorInfo reason `MALFORMED_REQUEST`, not tonic's INTERNAL.
//! INTERNAL stays for our own faults, so an alert on it means something.
//!
//! Only servers use it (build.rs puts it there): a client that cannot decode a response did
//! nothing wrong, and keeps tonic-prost's INTERNAL.

use std::collections::HashMap;
use std::marker::PhantomData;

use prost::Message;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic::{Code, Status};
use tonic_prost::{ProstDecoder, ProstEncoder};
use tonic_types::{ErrorDetails, StatusExt};

use jalia_model::reasons::MALFORMED_REQUEST;

/// The ErrorInfo domain of every Jalia error.
const ERROR_DOMAIN: &str = "jalia";

/// Encodes responses `T` and decodes requests `U` with prost.
#[derive(Debug, Clone)]
pub struct RequestCodec<T, U> {
    _messages: PhantomData<(T, U)>,
}

impl<T, U> Default for RequestCodec<T, U> {
    fn default() -> Self {
        Self {
            _messages: PhantomData,
        }
    }
}

impl<T, U> Codec for RequestCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = RequestDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        RequestDecoder(ProstDecoder::default())
    }
}

/// tonic-prost's decoder, with its refusals turned into the caller's fault.
#[derive(Debug, Clone)]
pub struct RequestDecoder<U>(ProstDecoder<U>);

impl<U: Message + Default> Decoder for RequestDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        // tonic-prost's decoder fails only when the bytes are not a `U`.
        self.0
            .decode(buf)
            .map_err(|refused| malformed(refused.message()))
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}

/// prost's description names the message, the field and what is wrong with it, never the
/// bytes themselves, so it is safe (and bounded) to return.
fn malformed(description: &str) -> Status {
    Status::with_error_details(
        Code::InvalidArgument,
        format!("the request is not a well-formed message: {description}"),
        ErrorDetails::with_error_info(MALFORMED_REQUEST, ERROR_DOMAIN, HashMap::new()),
    )
}
