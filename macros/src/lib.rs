//! Implementation detail of the `postal-hooks` crate. Use `postal-hooks` instead.
