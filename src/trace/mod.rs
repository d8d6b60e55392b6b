//! Recorded evdev traces (placeholder until the parsers land).
