//! The bus policy (packaging/dbus/io.github.typewarden1.conf) on a real dbus-daemon running
//! Debian's system.conf, with the real daemon behind it (supersedes the mock-backed
//! tests/packaging/dbus_policy.sh). An unprivileged peer (this test binary re-run as nobody,
//! a plain zbus client) must:
//! - fail to own io.github.typewarden1 (no squatting while the daemon is down);
//! - reach Introspect and the Manager and Admin interfaces (polkit decides there), and be
//!   refused Properties.Set, unlisted interfaces and BecomeMonitor by the bus itself;
//! - receive Manager signals, and no Admin signal (audit records, trust), neither through a
//!   plain match nor an eavesdropping one, while root receives them.

#[path = "common/api_env.rs"]
mod api_env;
mod common;
#[path = "common/daemon.rs"]
mod daemon;
#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;

use api_env::*;
use futures_util::StreamExt;
use std::time::Duration;

const DENIED: &str = "org.freedesktop.DBus.Error.AccessDenied";

/// The unprivileged side: prints `child: <check> <result>` lines.
#[test]
#[ignore = "helper process for the policy tests (runs as nobody)"]
fn child() {
    let (Ok(role), Ok(bus)) = (
        std::env::var("TW_CHILD_ROLE"),
        std::env::var("TW_CHILD_BUS"),
    ) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let conn = zbus::connection::Builder::address(bus.as_str())
            .unwrap()
            .build()
            .await
            .unwrap();
        match role.as_str() {
            "own" => {
                let dbus = zbus::fdo::DBusProxy::new(&conn).await.unwrap();
                let name = zbus::names::WellKnownName::try_from(NAME).unwrap();
                let r = dbus.request_name(name, Default::default()).await;
                println!(
                    "child: own {}",
                    result(r.map(|_| ()).map_err(zbus::Error::from))
                );
            }
            "calls" => calls(&conn).await,
            "listen" => listen(&conn).await,
            other => panic!("unknown role {other}"),
        }
    });
}

fn result(r: Result<(), zbus::Error>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(zbus::Error::MethodError(name, _, _)) => name.to_string(),
        Err(zbus::Error::FDO(e)) => match *e {
            zbus::fdo::Error::AccessDenied(_) => DENIED.into(),
            other => format!("{other}"),
        },
        Err(e) => format!("{e}"),
    }
}

async fn call<B>(
    conn: &zbus::Connection,
    dest: &str,
    path: &str,
    iface: &str,
    member: &str,
    body: &B,
) -> String
where
    B: serde::Serialize + zbus::zvariant::DynamicType,
{
    result(
        conn.call_method(Some(dest), path, Some(iface), member, body)
            .await
            .map(|_| ()),
    )
}

async fn calls(conn: &zbus::Connection) {
    let intro = call(
        conn,
        NAME,
        PATH,
        "org.freedesktop.DBus.Introspectable",
        "Introspect",
        &(),
    )
    .await;
    println!("child: introspect {intro}");
    let set = (
        "io.github.typewarden1.Manager",
        "Mode",
        zbus::zvariant::Value::from("monitor"),
    );
    let props = call(
        conn,
        NAME,
        PATH,
        "org.freedesktop.DBus.Properties",
        "Set",
        &set,
    )
    .await;
    println!("child: properties-set {props}");
    let other = call(conn, NAME, PATH, "io.github.typewarden1.Debug", "Dump", &()).await;
    println!("child: unlisted-interface {other}");
    let admin = call(
        conn,
        NAME,
        PATH,
        "io.github.typewarden1.Admin",
        "GetStatus",
        &(),
    )
    .await;
    println!("child: admin-status {admin}");
    let rules: Vec<&str> = Vec::new();
    let monitor = call(
        conn,
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.Monitoring",
        "BecomeMonitor",
        &(rules, 0u32),
    )
    .await;
    println!("child: become-monitor {monitor}");
}

async fn listen(conn: &zbus::Connection) {
    let mut incoming = zbus::MessageStream::from(conn);
    for rule in [
        format!("type='signal',sender='{NAME}'"),
        "type='signal',interface='io.github.typewarden1.Admin',eavesdrop='true'".to_string(),
    ] {
        let r = call(
            conn,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "AddMatch",
            &rule,
        )
        .await;
        println!("child: add-match {r}");
    }
    let deadline = tokio::time::sleep(Duration::from_secs(6));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => break,
            m = incoming.next() => {
                let Some(Ok(m)) = m else { break };
                let h = m.header();
                if m.message_type() == zbus::message::Type::Signal {
                    let iface = h.interface().map(|i| i.to_string()).unwrap_or_default();
                    let member = h.member().map(|i| i.to_string()).unwrap_or_default();
                    if iface.starts_with("io.github.typewarden1") {
                        println!("child: signal {iface}.{member}");
                    }
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_can_squat_the_name_or_reach_what_the_policy_does_not_list() {
    let Some(mut env) = ApiEnv::start().await else {
        return;
    };
    let own = child_lines(run_child(&env.address, NOBODY, "own", &[]));
    assert_eq!(
        own,
        [format!("own {DENIED}")],
        "daemon down: the name must not be ownable"
    );
    env.start_daemon().await;
    env.allow(&[]).await;
    let lines = child_lines(run_child(&env.address, NOBODY, "calls", &[]));
    assert_eq!(
        lines,
        [
            "introspect ok".to_string(),
            format!("properties-set {DENIED}"),
            format!("unlisted-interface {DENIED}"),
            // Through the bus policy, then refused by the daemon after asking polkit.
            "admin-status io.github.typewarden1.Error.NotAuthorized".to_string(),
            format!("become-monitor {DENIED}"),
        ]
    );
    // Root may do what nobody may not.
    let lines = child_lines(run_child(&env.address, 0, "calls", &[]));
    assert!(lines.contains(&"admin-status ok".to_string()), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signals_reach_root_only_and_manager_signals_everyone() {
    let Some(mut env) = ApiEnv::start().await else {
        return;
    };
    env.start_daemon().await;
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .sender(NAME)
        .unwrap()
        .build();
    let mut root_stream = zbus::MessageStream::for_match_rule(rule, &env.conn, None)
        .await
        .unwrap();
    let nobody = run_child(&env.address, NOBODY, "listen", &[]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // An admin action: an AuditRecord (Admin) and, as the mode changes, StatusChanged.
    let (code, _, err) = outcome(&env.cli(0, &["mode", "monitor"]));
    assert_eq!(code, 0, "{err}");
    let mut root_got = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(Ok(m))) = tokio::time::timeout_at(until, root_stream.next()).await {
        let h = m.header();
        let member = h.member().map(|i| i.to_string()).unwrap_or_default();
        if member == "AuditRecord" {
            let (event, _, _, fields): (
                String,
                String,
                String,
                std::collections::HashMap<String, String>,
            ) = m.body().deserialize().unwrap();
            if event == "admin_action" {
                assert_eq!(fields["TYPEWARDEN_ACTION"], "set_mode");
                assert_eq!(fields["TYPEWARDEN_CALLER_UID"], "0");
            }
        }
        root_got.push(format!("{}.{member}", h.interface().unwrap()));
    }
    assert!(
        root_got.contains(&"io.github.typewarden1.Admin.AuditRecord".to_string()),
        "{root_got:?}"
    );
    assert!(
        root_got.contains(&"io.github.typewarden1.Manager.StatusChanged".to_string()),
        "{root_got:?}"
    );
    let lines = child_lines(nobody);
    assert_eq!(lines[0], "add-match ok", "{lines:?}");
    // dbus-daemon may refuse an unprivileged eavesdropping match outright; if it takes it,
    // the receive rule still applies (checked below).
    assert!(
        [format!("add-match {DENIED}"), "add-match ok".to_string()].contains(&lines[1]),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"signal io.github.typewarden1.Manager.StatusChanged".to_string()),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains(".Admin.")),
        "an Admin signal reached nobody: {lines:?}"
    );
}
