//! `packaging/typewarden.catalog` against the code: one entry per MESSAGE_ID and vice
//! versa, ids unique 32-hex, every @FIELD@ one the event emits, and journalctl itself
//! accepting the file (skipped with a reason when journalctl is absent).

mod audit_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use typewarden::audit::EventKind;

fn catalog_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/typewarden.catalog"),
    )
    .unwrap()
}

/// id → entry text (headers and body).
fn entries(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("-- ") {
            if let Some((id, body)) = current.take() {
                assert!(
                    out.insert(id.clone(), body).is_none(),
                    "duplicate catalog entry {id}"
                );
            }
            current = Some((id.trim().to_owned(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    if let Some((id, body)) = current {
        assert!(
            out.insert(id.clone(), body).is_none(),
            "duplicate catalog entry {id}"
        );
    }
    out
}

fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[test]
fn message_ids_are_unique_32_hex() {
    let ids: BTreeSet<_> = EventKind::ALL.iter().map(|k| k.message_id()).collect();
    assert_eq!(ids.len(), EventKind::ALL.len(), "duplicate MESSAGE_ID");
    assert!(ids.iter().all(|id| is_id(id)), "{ids:?}");
    let names: BTreeSet<_> = EventKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names.len(), EventKind::ALL.len(), "duplicate event name");
}

#[test]
fn catalog_has_exactly_one_entry_per_message_id() {
    let entries = entries(&catalog_text());
    let in_catalog: BTreeSet<_> = entries.keys().map(String::as_str).collect();
    let in_code: BTreeSet<_> = EventKind::ALL.iter().map(|k| k.message_id()).collect();
    assert_eq!(in_catalog, in_code);
    for (id, body) in &entries {
        assert!(is_id(id), "{id}");
        for header in [
            "Subject: ",
            "Defined-By: typewarden\n",
            "Support: ",
            "Documentation: ",
        ] {
            assert!(body.contains(header), "{id} lacks {header:?}");
        }
    }
}

#[test]
fn catalog_fields_are_fields_the_event_emits() {
    let entries = entries(&catalog_text());
    for event in audit_support::samples() {
        let record = event.to_record();
        let emitted: BTreeSet<_> = record
            .journal_fields()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let body = &entries[record.kind().message_id()];
        let used: Vec<_> = body.split('@').skip(1).step_by(2).collect();
        assert!(!used.is_empty(), "{} uses no field", record.kind().name());
        for field in used {
            assert!(
                emitted.contains(field),
                "catalog of {} uses @{field}@, which it never emits",
                record.kind().name()
            );
        }
    }
}

#[test]
fn journalctl_accepts_the_catalog() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("usr/lib/systemd/catalog");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(root.path().join("var/lib/systemd/catalog")).unwrap();
    std::fs::write(dir.join("typewarden.catalog"), catalog_text()).unwrap();
    let run = |args: &[&str]| {
        Command::new("journalctl")
            .arg("--root")
            .arg(root.path())
            .args(args)
            .output()
    };
    let Ok(update) = run(&["--update-catalog"]) else {
        println!("skipping: journalctl is not installed");
        return;
    };
    assert!(
        update.status.success(),
        "{}",
        String::from_utf8_lossy(&update.stderr)
    );
    let listed = run(&["--list-catalog"]).unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    for kind in EventKind::ALL {
        assert!(
            listed.contains(&format!("{} typewarden: ", kind.message_id())),
            "{} missing:\n{listed}",
            kind.name()
        );
    }
}
