//! The `typewarden devices` report: every event node, its class, seat, whether it is scored
//! and why. Never key codes: only identities and rule names.
//!
//! Owns: [`DeviceRow`], [`list`] and the table rendering. Uses the same open, probe and
//! classify path as the daemon, so the report tells what the daemon would do (F13).

use crate::input::classify::{classify, group_key, CapsKind, DeviceClass};
use crate::input::device::{open_node, probe, udev_db_props, UDEV_CONTROL};
use crate::input::filter::DeviceFilter;
use crate::input::monitor::list_event_nodes;
use serde::Serialize;
use std::fmt::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// One node in the report.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceRow {
    /// `/dev/input/eventN`.
    pub devnode: String,
    /// Device name (empty if unreadable).
    pub name: String,
    /// `vendor:product` in hex.
    pub vid_pid: String,
    /// Policy class; `None` if the node could not be opened.
    pub class: Option<DeviceClass>,
    /// What the bitmaps say.
    pub caps_kind: Option<CapsKind>,
    /// Scored as a person's typing.
    pub scored: bool,
    /// udev seat, `seat0` by default.
    pub seat: String,
    /// Physical-device group.
    pub group: String,
    /// Why (or the open error).
    pub reason: String,
    /// Stable links from udev.
    pub links: Vec<String>,
}

/// Describes every event node with `filter` applied.
pub fn list(filter: &DeviceFilter) -> Vec<DeviceRow> {
    let udev = Path::new(UDEV_CONTROL).exists();
    list_event_nodes()
        .iter()
        .map(|node| row(node, filter, udev))
        .collect()
}

fn row(node: &Path, filter: &DeviceFilter, udev: bool) -> DeviceRow {
    let props = if udev {
        std::fs::metadata(node)
            .ok()
            .and_then(|m| udev_db_props(m.rdev()))
    } else {
        None
    };
    let seat_default = if udev { "seat0" } else { "seat0 (no udev)" };
    let probed = open_node(node).and_then(|fd| probe(&fd, node, props.as_ref()));
    match probed {
        Ok(p) => {
            let c = classify(&p.caps, &p.facts, filter);
            DeviceRow {
                devnode: node.display().to_string(),
                name: p.caps.name.clone(),
                vid_pid: format!("{:04x}:{:04x}", p.caps.id.vendor, p.caps.id.product),
                class: Some(c.class),
                caps_kind: Some(c.caps_kind),
                scored: c.scored,
                seat: p.facts.seat.clone().unwrap_or_else(|| seat_default.into()),
                group: group_key(&p.caps, &p.facts),
                reason: c.reason,
                links: p.facts.links,
            }
        }
        Err(e) => DeviceRow {
            devnode: node.display().to_string(),
            name: String::new(),
            vid_pid: String::new(),
            class: None,
            caps_kind: None,
            scored: false,
            seat: String::new(),
            group: String::new(),
            reason: format!("unreadable: {e}"),
            links: vec![],
        },
    }
}

/// A human-readable table.
pub fn render_table(rows: &[DeviceRow]) -> String {
    let mut s = String::new();
    if rows.is_empty() {
        s.push_str("no /dev/input/event* nodes\n");
        return s;
    }
    let _ = writeln!(
        s,
        "{:<20} {:<10} {:<6} {:<16} {:<9} {:<32} why",
        "node", "class", "scored", "seat", "id", "name"
    );
    for r in rows {
        let class = r.class.map_or("?", |c| c.as_str());
        let scored = if r.scored { "yes" } else { "no" };
        let _ = writeln!(
            s,
            "{:<20} {:<10} {:<6} {:<16} {:<9} {:<32} {}",
            r.devnode, class, scored, r.seat, r.vid_pid, r.name, r.reason
        );
    }
    s
}
