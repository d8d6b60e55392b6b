//! Which devices the admin includes, excludes, marks as tokens or allows although virtual:
//! the `[input]` device matchers of the config file.
//!
//! Owns: [`DeviceFilter`] and [`Matcher`]. Pure data plus matching; parsing errors name the
//! matcher string (a device identity, never typed content).
//!
//! Matcher syntax (one string each):
//! - `046d:c52b` or `1050:*`: USB/BT vendor:product in hex, `*` for any product;
//! - `name=Exact Device Name` or `name~fragment` (case-insensitive substring);
//! - `/dev/input/by-id/…` or `/dev/input/by-path/…`: a stable udev link of the node.

use crate::core::caps::Capabilities;
use crate::input::classify::DeviceFacts;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One device matcher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Matcher {
    /// Vendor and product; `None` product matches any.
    VidPid(u16, Option<u16>),
    /// Exact name.
    Name(String),
    /// Case-insensitive name fragment (stored lowercase).
    NameContains(String),
    /// A `/dev/input/by-id/…` or `/dev/input/by-path/…` link.
    Link(String),
}

/// Why a matcher string was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("device matcher {0:?}: expected vid:pid (hex, pid may be *), name=…, name~… or a /dev/input/by-id|by-path link")]
pub struct MatcherError(pub String);

impl TryFrom<String> for Matcher {
    type Error = MatcherError;
    fn try_from(s: String) -> Result<Self, MatcherError> {
        let bad = || MatcherError(s.clone());
        if let Some(n) = s.strip_prefix("name=") {
            return if n.is_empty() {
                Err(bad())
            } else {
                Ok(Matcher::Name(n.into()))
            };
        }
        if let Some(n) = s.strip_prefix("name~") {
            return if n.is_empty() {
                Err(bad())
            } else {
                Ok(Matcher::NameContains(n.to_lowercase()))
            };
        }
        if s.starts_with("/dev/input/by-id/") || s.starts_with("/dev/input/by-path/") {
            return Ok(Matcher::Link(s));
        }
        let (v, p) = s.split_once(':').ok_or_else(bad)?;
        let hex = |x: &str| {
            (x.len() == 4)
                .then(|| u16::from_str_radix(x, 16).ok())
                .flatten()
        };
        let vid = hex(v).ok_or_else(bad)?;
        let pid = if p == "*" {
            None
        } else {
            Some(hex(p).ok_or_else(bad)?)
        };
        Ok(Matcher::VidPid(vid, pid))
    }
}

impl From<Matcher> for String {
    fn from(m: Matcher) -> String {
        m.to_string()
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::VidPid(v, Some(p)) => write!(f, "{v:04x}:{p:04x}"),
            Matcher::VidPid(v, None) => write!(f, "{v:04x}:*"),
            Matcher::Name(n) => write!(f, "name={n}"),
            Matcher::NameContains(n) => write!(f, "name~{n}"),
            Matcher::Link(l) => f.write_str(l),
        }
    }
}

impl Matcher {
    /// True if this matcher names the node.
    pub fn matches(&self, caps: &Capabilities, facts: &DeviceFacts) -> bool {
        match self {
            Matcher::VidPid(v, p) => caps.id.vendor == *v && p.is_none_or(|p| caps.id.product == p),
            Matcher::Name(n) => caps.name == *n,
            Matcher::NameContains(n) => caps.name.to_lowercase().contains(n.as_str()),
            Matcher::Link(l) => facts.links.iter().any(|x| x == l),
        }
    }
}

/// Device selection from the `[input]` config section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceFilter {
    /// If non-empty, only keyboards matching one of these are scored.
    pub include: Vec<Matcher>,
    /// Never scored, whatever they are.
    pub exclude: Vec<Matcher>,
    /// Hardware that types at machine speed (OTP tokens, barcode scanners): never scored.
    /// Default: YubiKey's vendor, `1050:*`.
    pub tokens: Vec<Matcher>,
    /// Virtual (uinput) keyboards that carry a person's typing, e.g. a remapper the user
    /// types through (`0fac:0ade` for keyd). Default: none.
    pub allow_virtual: Vec<Matcher>,
}

impl Default for DeviceFilter {
    fn default() -> Self {
        Self {
            include: vec![],
            exclude: vec![],
            tokens: vec![Matcher::VidPid(0x1050, None)],
            allow_virtual: vec![],
        }
    }
}

fn first<'a>(list: &'a [Matcher], caps: &Capabilities, facts: &DeviceFacts) -> Option<&'a Matcher> {
    list.iter().find(|m| m.matches(caps, facts))
}

impl DeviceFilter {
    /// The include matcher naming the node.
    pub fn included(&self, caps: &Capabilities, facts: &DeviceFacts) -> Option<&Matcher> {
        first(&self.include, caps, facts)
    }
    /// The exclude matcher naming the node.
    pub fn excluded(&self, caps: &Capabilities, facts: &DeviceFacts) -> Option<&Matcher> {
        first(&self.exclude, caps, facts)
    }
    /// The token matcher naming the node.
    pub fn token(&self, caps: &Capabilities, facts: &DeviceFacts) -> Option<&Matcher> {
        first(&self.tokens, caps, facts)
    }
    /// The allow_virtual matcher naming the node.
    pub fn allowed_virtual(&self, caps: &Capabilities, facts: &DeviceFacts) -> Option<&Matcher> {
        first(&self.allow_virtual, caps, facts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_matchers() {
        let f: DeviceFilter = toml::from_str(
            "include = [\"046d:c52b\", \"name=AT Translated Set 2 keyboard\", \"/dev/input/by-id/usb-x-event-kbd\"]\n\
             tokens = [\"1050:*\", \"name~scanner\"]",
        )
        .unwrap();
        assert_eq!(f.include[0], Matcher::VidPid(0x046d, Some(0xc52b)));
        assert_eq!(f.tokens[1], Matcher::NameContains("scanner".into()));
        assert!(f.exclude.is_empty() && f.allow_virtual.is_empty());
        for bad in [
            "46d:c52b",
            "zzzz:0001",
            "name=",
            "usb-x",
            "/dev/input/event3",
        ] {
            assert_eq!(
                Matcher::try_from(bad.to_string()),
                Err(MatcherError(bad.into()))
            );
        }
        let e = toml::from_str::<DeviceFilter>("includes = []")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field"), "{e}");
        let rt: DeviceFilter = toml::from_str(&toml::to_string(&f).unwrap()).unwrap();
        assert_eq!(rt, f);
    }

    #[test]
    fn each_matcher_kind_names_the_right_node() {
        let mut caps = Capabilities {
            name: "Logitech USB Receiver Keyboard".into(),
            ..Default::default()
        };
        caps.id.vendor = 0x046d;
        caps.id.product = 0xc52b;
        let facts = DeviceFacts {
            links: vec![
                "/dev/input/by-id/usb-Logitech_USB_Receiver-event-kbd".into(),
                "/dev/input/by-path/pci-0000:00:14.0-usb-0:2:1.0-event-kbd".into(),
            ],
            ..Default::default()
        };
        let m = |s: &str| Matcher::try_from(s.to_string()).unwrap();
        for yes in [
            "046d:c52b",
            "046d:*",
            "name=Logitech USB Receiver Keyboard",
            "name~RECEIVER",
            "/dev/input/by-id/usb-Logitech_USB_Receiver-event-kbd",
            "/dev/input/by-path/pci-0000:00:14.0-usb-0:2:1.0-event-kbd",
        ] {
            assert!(m(yes).matches(&caps, &facts), "{yes}");
        }
        for no in [
            "046d:c52c",
            "1050:*",
            "name=Logitech USB Receiver",
            "name~mouse",
            "/dev/input/by-id/usb-Logitech_USB_Receiver-event-mouse",
        ] {
            assert!(!m(no).matches(&caps, &facts), "{no}");
        }
    }
}
