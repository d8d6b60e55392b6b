//! Layered configuration (placeholder until the config module lands).
