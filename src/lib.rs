//! typewarden: continuous keystroke-dynamics authentication for Linux sessions.
//!
//! Layout (functional core, imperative shell):
//! - [`core`]: pure state machines and data types: events in, timing events out;
//! - [`trace`]: recorded evdev traces (evemu, …) parsed into the same decoded events;
//! - [`replay`]: runs traces through the core and summarises the cleaned stream;
//! - [`config`]: layered TOML configuration with path hygiene and precise errors;
//! - [`session`]: logind sessions: tracking, the scoring gate, locking with confirmation.
#![forbid(unsafe_code)]

pub mod config;
pub mod core;
pub mod replay;
pub mod session;
pub mod trace;
