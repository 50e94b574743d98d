//! `shared_payload_event!`: an event type that wraps a payload struct shared with other events.
//!
//! `MessageSent` and its three siblings carry the same [`Delivery`](super::Delivery) payload,
//! and the two send-limit events the same [`SendLimit`](super::SendLimit). Each event stays its
//! own type (so a handler can ask for exactly one), serializes as the bare payload, and derefs
//! to the shared struct so `sent.message.to` reads naturally.

macro_rules! shared_payload_event {
    ($(#[$meta:meta])* $name:ident($payload:ident)) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $payload);

        impl $name {
            #[doc = concat!("Unwraps the shared [`", stringify!($payload), "`] payload.")]
            pub fn into_inner(self) -> $payload {
                self.0
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = $payload;

            fn deref(&self) -> &$payload {
                &self.0
            }
        }

        impl ::std::ops::DerefMut for $name {
            fn deref_mut(&mut self) -> &mut $payload {
                &mut self.0
            }
        }

        impl ::std::convert::AsRef<$payload> for $name {
            fn as_ref(&self) -> &$payload {
                &self.0
            }
        }

        impl ::std::convert::From<$payload> for $name {
            fn from(payload: $payload) -> Self {
                Self(payload)
            }
        }
    };
}

pub(crate) use shared_payload_event;
