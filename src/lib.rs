//! typewarden: continuous keystroke-dynamics authentication for Linux sessions.
//!
//! Layout (functional core, imperative shell):
//! - [`core`]: pure state machines and data types: events in, timing events out;
//! - [`trace`]: recorded evdev traces (evemu, …) parsed into the same decoded events;
//! - [`replay`]: runs traces through the core and summarises the cleaned stream;
//! - [`config`]: layered TOML configuration with path hygiene and precise errors.
//! - [`engine`]: the biometric engine (features, profile, verifier, policy, adaptation);
//! - [`eval`]: `typewarden evaluate`, benchmarks through the same path as the daemon.
#![forbid(unsafe_code)]

pub mod config;
pub mod core;
pub mod engine;
pub mod eval;
pub mod replay;
pub mod trace;
