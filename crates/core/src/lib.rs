//! Waymark's decisioning engine.
//!
//! The engine is pure: it does no I/O, reads no clock and draws no randomness. Everything that
//! varies between calls ("now", the visitor's id, their local state) is a parameter, so the same
//! inputs give the same output in native code, node, Chromium and workerd.
#![forbid(unsafe_code)]

pub mod bundle;
mod case;
pub mod engine;
pub mod expr;
pub mod hash;
mod num;
mod tables;
pub mod template;
mod time;
mod wire;
mod zones;

pub use tables::zone_rule;
pub use wire::WireError;

/// The native and the host implementations of the ECMAScript primitives side by side, for
/// the differential tests (`tests/host.rs`, run in node).
#[cfg(all(feature = "host", target_arch = "wasm32"))]
#[doc(hidden)]
pub mod parity {
    pub use crate::expr::regex::parity as regex;
    pub use crate::num::parity as num;
}
