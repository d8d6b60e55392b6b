//! Driving the dbusmock logind template through its `org.freedesktop.DBus.Mock` API, plus a
//! test "locker" that behaves like a desktop honouring `Lock`.
#![allow(dead_code)]

use super::dbus::LOGIND;
use std::time::Duration;
use typewarden::session::proxies::SessionProxy;
use zbus::zvariant::{DynamicType, ObjectPath, OwnedValue, Value};
use zbus::Connection;

pub const MANAGER: &str = "/org/freedesktop/login1";
const MOCK: &str = "org.freedesktop.DBus.Mock";
const SESSION_IFACE: &str = "org.freedesktop.login1.Session";

pub fn session_path(id: &str) -> String {
    format!("/org/freedesktop/login1/session/{id}")
}

pub fn seat_path(seat: &str) -> String {
    format!("/org/freedesktop/login1/seat/{seat}")
}

/// The test's handle on the mock.
pub struct Mock {
    pub conn: Connection,
}

impl Mock {
    pub async fn new(address: &str) -> Self {
        Self {
            conn: super::dbus::connect(address).await,
        }
    }

    async fn call<B>(&self, path: &str, iface: &str, method: &str, body: &B) -> zbus::Message
    where
        B: serde::Serialize + DynamicType,
    {
        self.conn
            .call_method(Some(LOGIND), path, Some(iface), method, body)
            .await
            .unwrap_or_else(|e| panic!("{iface}.{method} on {path}: {e}"))
    }

    /// `AddSession`: creates seat and user as needed and makes the session the seat's active
    /// one (the template sets `Seat.ActiveSession`).
    pub async fn add_session(&self, id: &str, seat: &str, uid: u32, name: &str) {
        self.call(MANAGER, MOCK, "AddSession", &(id, seat, uid, name, true))
            .await;
    }

    /// `org.freedesktop.DBus.Properties.Set`: the mock emits PropertiesChanged.
    pub async fn set(&self, path: &str, iface: &str, prop: &str, value: Value<'_>) {
        let props = "org.freedesktop.DBus.Properties";
        self.call(path, props, "Set", &(iface, prop, value)).await;
    }

    pub async fn set_session(&self, id: &str, prop: &str, value: Value<'_>) {
        self.set(&session_path(id), SESSION_IFACE, prop, value)
            .await;
    }

    /// A fast user switch as logind does it: the old session goes inactive, the new one
    /// active, and the seat's `ActiveSession` flips (F39).
    pub async fn switch_to(&self, seat: &str, from: &str, to: &str) {
        self.set_session(from, "Active", Value::from(false)).await;
        self.set_session(to, "Active", Value::from(true)).await;
        let path = ObjectPath::try_from(session_path(to)).expect("path");
        let active = Value::from((to.to_string(), path));
        let seat_iface = "org.freedesktop.login1.Seat";
        self.set(&seat_path(seat), seat_iface, "ActiveSession", active)
            .await;
    }

    /// `Session.SetLockedHint`, as a desktop's locker calls it.
    pub async fn set_locked_hint(&self, id: &str, locked: bool) {
        self.call(&session_path(id), SESSION_IFACE, "SetLockedHint", &locked)
            .await;
    }

    /// Emits a signal from `path` through the mock API.
    pub async fn emit(&self, path: &str, iface: &str, name: &str, sig: &str, args: Vec<Value<'_>>) {
        self.call(path, MOCK, "EmitSignal", &(iface, name, sig, args))
            .await;
    }

    pub async fn prepare_for_sleep(&self, start: bool) {
        let manager = "org.freedesktop.login1.Manager";
        let args = vec![Value::from(start)];
        self.emit(MANAGER, manager, "PrepareForSleep", "b", args)
            .await;
    }

    /// `AddMethod` on the manager: replaces or adds a method whose body is Python.
    pub async fn manager_method(&self, name: &str, in_sig: &str, out_sig: &str, code: &str) {
        let iface = "org.freedesktop.login1.Manager";
        self.call(
            MANAGER,
            MOCK,
            "AddMethod",
            &(iface, name, in_sig, out_sig, code),
        )
        .await;
    }

    /// Makes `LockSession(id)` emit `Session.Lock` on the session, as the real logind does
    /// (org.freedesktop.login1(5)); the template only records the call.
    pub async fn lock_session_emits_lock(&self) {
        let code = "objects['/org/freedesktop/login1/session/' + args[0]]\
                    .EmitSignal('org.freedesktop.login1.Session', 'Lock', '', [])";
        self.manager_method("LockSession", "s", "", code).await;
    }

    /// The string arguments of every recorded call of `method` on the manager.
    pub async fn calls(&self, method: &str) -> Vec<Vec<String>> {
        let reply = self.call(MANAGER, MOCK, "GetMethodCalls", &method).await;
        let rows: Vec<(u64, Vec<OwnedValue>)> = reply.body().deserialize().expect("a(tav)");
        rows.into_iter()
            .map(|(_, args)| {
                let text = |v: &OwnedValue| match &**v {
                    Value::Str(s) => s.to_string(),
                    other => format!("{other:?}"),
                };
                args.iter().map(text).collect()
            })
            .collect()
    }

    /// `ListInhibitors`: (what, who, why, mode) of each inhibitor lock still held.
    pub async fn inhibitors(&self) -> Vec<(String, String, String, String)> {
        let iface = "org.freedesktop.login1.Manager";
        let reply = self.call(MANAGER, iface, "ListInhibitors", &()).await;
        let rows: Vec<(String, String, String, String, u32, u32)> =
            reply.body().deserialize().expect("a(ssssuu)");
        rows.into_iter()
            .map(|(what, who, why, mode, _, _)| (what, who, why, mode))
            .collect()
    }

    pub async fn clear_calls(&self) {
        self.call(MANAGER, MOCK, "ClearCalls", &()).await;
    }
}

/// A desktop session that honours `Lock`: on the session's `Lock` signal it waits `delay`
/// (the locker mapping its window) and calls `SetLockedHint(true)`. Subscribed on return.
pub async fn spawn_locker(
    conn: &Connection,
    id: &str,
    delay: Duration,
) -> tokio::task::JoinHandle<()> {
    use futures_util::StreamExt;
    let proxy = SessionProxy::builder(conn)
        .path(session_path(id))
        .expect("path")
        .build()
        .await
        .expect("session proxy");
    let mut locks = proxy.receive_lock().await.expect("subscribe Lock");
    let (conn, id) = (conn.clone(), id.to_string());
    tokio::spawn(async move {
        while locks.next().await.is_some() {
            tokio::time::sleep(delay).await;
            let path = session_path(&id);
            conn.call_method(
                Some(LOGIND),
                path.as_str(),
                Some(SESSION_IFACE),
                "SetLockedHint",
                &true,
            )
            .await
            .expect("SetLockedHint");
        }
    })
}
