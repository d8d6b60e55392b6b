//! The client side, for the CLI: calls with a deadline and the
//! `ALLOW_INTERACTIVE_AUTHORIZATION` flag (so polkit may ask for a password through the
//! user's agent), typewarden's error names mapped back to [`ApiError`], and replies turned
//! into JSON exactly as the dictionaries are (`--json`).

use super::{ApiError, ADMIN_IFACE, BUS_NAME, MANAGER_IFACE, OBJECT_PATH};
use crate::session::Bus;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::time::Duration;
use zbus::message::Flags;
use zbus::zvariant::{DynamicType, OwnedValue, Type, Value};

/// Longer than the daemon's interactive polkit deadline, so the daemon answers first.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(150);

/// A connection to the daemon.
pub struct Client {
    conn: zbus::Connection,
    interactive: bool,
}

/// Which interface a method is on.
#[derive(Clone, Copy, Debug)]
pub enum Iface {
    /// [`MANAGER_IFACE`].
    Manager,
    /// [`ADMIN_IFACE`].
    Admin,
}

impl Client {
    /// Connects to `bus`. `interactive`: polkit may ask for a password through the user's
    /// agent (the `ALLOW_INTERACTIVE_AUTHORIZATION` flag); otherwise it decides at once.
    pub async fn connect(bus: &Bus, interactive: bool) -> Result<Client, ApiError> {
        let builder = match bus {
            Bus::System => zbus::connection::Builder::system(),
            Bus::Address(a) => zbus::connection::Builder::address(a.as_str()),
        }?;
        let build = builder.method_timeout(CALL_TIMEOUT).build();
        match tokio::time::timeout(Duration::from_secs(10), build).await {
            Ok(conn) => Ok(Client {
                conn: conn?,
                interactive,
            }),
            Err(_) => Err(ApiError::Busy(
                "connecting to the system bus timed out".into(),
            )),
        }
    }

    /// Calls `method` and returns its reply message.
    pub async fn call<B>(
        &self,
        iface: Iface,
        method: &str,
        body: &B,
    ) -> Result<zbus::Message, ApiError>
    where
        B: serde::Serialize + DynamicType,
    {
        let iface = match iface {
            Iface::Manager => MANAGER_IFACE,
            Iface::Admin => ADMIN_IFACE,
        };
        let mut msg = zbus::Message::method_call(OBJECT_PATH, method)?
            .destination(BUS_NAME)?
            .interface(iface)?;
        if self.interactive {
            msg = msg.with_flags(Flags::AllowInteractiveAuth)?;
        }
        let msg = msg.build(body)?;
        // Subscribed before sending, so the reply cannot be missed.
        let mut incoming = zbus::MessageStream::from(&self.conn);
        self.conn.send(&msg).await?;
        let serial = msg.primary_header().serial_num();
        let wait = async {
            while let Some(m) = incoming.next().await {
                let m = m?;
                if m.header().reply_serial() != Some(serial) {
                    continue;
                }
                return match m.message_type() {
                    zbus::message::Type::Error => Err(api_error(zbus::Error::from(m))),
                    _ => Ok(m),
                };
            }
            Err(ApiError::ZBus(zbus::Error::InputOutput(
                std::sync::Arc::new(std::io::Error::from(std::io::ErrorKind::ConnectionReset)),
            )))
        };
        match tokio::time::timeout(CALL_TIMEOUT, wait).await {
            Ok(r) => r,
            Err(_) => Err(ApiError::Busy(format!("no answer within {CALL_TIMEOUT:?}"))),
        }
    }
}

/// The reply body as `T`.
pub fn body<T: DeserializeOwned + Type>(msg: &zbus::Message) -> Result<T, ApiError> {
    Ok(msg.body().deserialize::<T>()?)
}

/// Maps a zbus error to typewarden's error when it carries one of our error names.
pub fn api_error(e: zbus::Error) -> ApiError {
    if let zbus::Error::MethodError(name, text, _) = &e {
        let text = text.clone().unwrap_or_default();
        let short = name.as_str().strip_prefix("io.github.typewarden1.Error.");
        return match short {
            Some("NotAuthorized") => ApiError::NotAuthorized(text),
            Some("NoSuchProfile") => ApiError::NoSuchProfile(text),
            Some("InvalidArgument") => ApiError::InvalidArgument(text),
            Some("Busy") => ApiError::Busy(text),
            Some("Failed") => ApiError::Failed(text),
            _ => ApiError::ZBus(e),
        };
    }
    ApiError::ZBus(e)
}

/// A D-Bus value as JSON: dictionaries become objects (keys sorted), arrays and structs
/// become arrays, numbers and strings stay what they are.
pub fn to_json(v: &Value<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::U8(n) => J::from(*n),
        Value::Bool(b) => J::from(*b),
        Value::I16(n) => J::from(*n),
        Value::U16(n) => J::from(*n),
        Value::I32(n) => J::from(*n),
        Value::U32(n) => J::from(*n),
        Value::I64(n) => J::from(*n),
        Value::U64(n) => J::from(*n),
        Value::F64(x) => serde_json::Number::from_f64(*x).map_or(J::Null, J::Number),
        Value::Str(s) => J::from(s.as_str()),
        Value::Signature(s) => J::from(s.to_string()),
        Value::ObjectPath(p) => J::from(p.as_str()),
        Value::Value(inner) => to_json(inner),
        Value::Array(a) => J::Array(a.iter().map(to_json).collect()),
        Value::Dict(d) => {
            let mut m = serde_json::Map::new();
            for (k, v) in d.iter() {
                let key = match k {
                    Value::Str(s) => s.to_string(),
                    other => to_json(other).to_string(),
                };
                m.insert(key, to_json(v));
            }
            J::Object(m)
        }
        Value::Structure(s) => J::Array(s.fields().iter().map(to_json).collect()),
        Value::Fd(_) => J::Null,
    }
}

/// A reply dictionary as JSON.
pub fn dict_json(msg: &zbus::Message) -> Result<serde_json::Value, ApiError> {
    let d: HashMap<String, OwnedValue> = body(msg)?;
    let mut m = serde_json::Map::new();
    for (k, v) in d {
        m.insert(k, to_json(&v));
    }
    Ok(serde_json::Value::Object(m))
}

/// A reply array of dictionaries as JSON.
pub fn dicts_json(msg: &zbus::Message) -> Result<serde_json::Value, ApiError> {
    let ds: Vec<HashMap<String, OwnedValue>> = body(msg)?;
    Ok(serde_json::Value::Array(
        ds.into_iter()
            .map(|d| {
                let m = d.into_iter().map(|(k, v)| (k, to_json(&v))).collect();
                serde_json::Value::Object(m)
            })
            .collect(),
    ))
}
