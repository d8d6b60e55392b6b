//! typewarden: continuous keystroke-dynamics authentication for Linux sessions.
//!
//! Layout (functional core, imperative shell):
//! - [`core`]: pure state machines and data types: events in, timing events out;
//! - [`trace`]: recorded evdev traces (evemu, …) parsed into the same decoded events;
//! - [`replay`]: runs traces through the core and summarises the cleaned stream;
//! - [`config`]: layered TOML configuration with path hygiene and precise errors;
//! - [`engine`]: the biometric engine (features, profile, verifier, policy, adaptation);
//! - [`eval`]: `typewarden evaluate`, benchmarks through the same path as the daemon;
//! - [`session`]: logind sessions: tracking, the scoring gate, locking with confirmation;
//! - [`store`]: crash-safe, checksummed profile files with quarantine;
//! - [`audit`]: typed audit events sent to the journal with checked, counted delivery;
//! - [`logging`]: operational logs (tracing → journald, or stderr);
//! - [`daemon`]: the decision loop wiring input, engine, sessions, store and audit;
//! - [`input`]: live `/dev/input` discovery, classification, passive reading and hotplug
//!   (`unsafe` only in `input::sys`, the ioctl module).
//! - [`ctl`]: the control commands of the CLI (`status`, `profile`, `pause`, …);
//! - [`ipc`]: the D-Bus control surface (polkit-checked API, signals) and its client;
//! - [`notify`]: sd_notify readiness, watchdog and status messages to systemd.
#![deny(unsafe_code)]

pub mod audit;
pub mod config;
pub mod core;
pub mod ctl;
pub mod daemon;
pub mod engine;
pub mod eval;
pub mod input;
pub mod ipc;
pub mod logging;
pub mod notify;
pub mod replay;
pub mod session;
pub mod store;
pub mod trace;
