//! Replay of recorded traces through the cleaning core (placeholder).
