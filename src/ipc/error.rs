//! The errors a D-Bus caller can get, by name (`io.github.typewarden1.Error.*`), and the CLI
//! exit code each maps to.
//!
//! Invariant: messages name the action, the profile or the limit, never key content, and
//! never whether a lock was near.

/// A D-Bus method error of typewarden's API.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "io.github.typewarden1.Error")]
pub enum ApiError {
    /// A transport failure inside zbus.
    #[zbus(error)]
    ZBus(zbus::Error),
    /// polkit did not authorize the caller (or could not be asked: fail closed).
    NotAuthorized(String),
    /// The named profile does not exist.
    NoSuchProfile(String),
    /// An argument is malformed or out of range.
    InvalidArgument(String),
    /// Too many requests in flight, or the decision loop did not answer in time: retry.
    Busy(String),
    /// The request was valid but failed (store or configuration error).
    Failed(String),
}

/// CLI exit codes, stable for scripts (documented in typewarden(8) and the README).
pub mod exit {
    /// Done.
    pub const OK: u8 = 0;
    /// Any other failure (the message says what).
    pub const FAILURE: u8 = 1;
    /// Bad command line or argument (clap's own usage errors use 2 as well).
    pub const USAGE: u8 = 2;
    /// The daemon is not running, or no system bus.
    pub const NOT_RUNNING: u8 = 3;
    /// Not authorized by polkit.
    pub const NOT_AUTHORIZED: u8 = 4;
    /// No such profile.
    pub const NO_SUCH_PROFILE: u8 = 5;
    /// Timed out or busy: retrying later may work.
    pub const TIMEOUT: u8 = 6;
}

impl ApiError {
    /// The exit code the CLI uses for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            ApiError::ZBus(e) => zbus_exit_code(e),
            ApiError::NotAuthorized(_) => exit::NOT_AUTHORIZED,
            ApiError::NoSuchProfile(_) => exit::NO_SUCH_PROFILE,
            ApiError::InvalidArgument(_) => exit::USAGE,
            ApiError::Busy(_) => exit::TIMEOUT,
            ApiError::Failed(_) => exit::FAILURE,
        }
    }

    /// The human-readable description.
    pub fn text(&self) -> String {
        match self {
            ApiError::ZBus(e) => e.to_string(),
            ApiError::NotAuthorized(m)
            | ApiError::NoSuchProfile(m)
            | ApiError::InvalidArgument(m)
            | ApiError::Busy(m)
            | ApiError::Failed(m) => m.clone(),
        }
    }
}

/// Exit codes of transport errors: the bus or the daemon absent, access denied by the bus
/// policy, timeouts.
fn zbus_exit_code(e: &zbus::Error) -> u8 {
    match e {
        zbus::Error::InputOutput(_)
        | zbus::Error::Address(_)
        | zbus::Error::Handshake(_)
        | zbus::Error::Connection(..) => exit::NOT_RUNNING,
        zbus::Error::FDO(fdo) => match **fdo {
            zbus::fdo::Error::ServiceUnknown(_)
            | zbus::fdo::Error::NameHasNoOwner(_)
            | zbus::fdo::Error::FileNotFound(_)
            | zbus::fdo::Error::NoServer(_)
            | zbus::fdo::Error::Disconnected(_) => exit::NOT_RUNNING,
            zbus::fdo::Error::AccessDenied(_) | zbus::fdo::Error::AuthFailed(_) => {
                exit::NOT_AUTHORIZED
            }
            zbus::fdo::Error::Timeout(_) | zbus::fdo::Error::NoReply(_) => exit::TIMEOUT,
            _ => exit::FAILURE,
        },
        zbus::Error::MethodError(name, _, _) => match name.as_str() {
            "org.freedesktop.DBus.Error.ServiceUnknown"
            | "org.freedesktop.DBus.Error.NameHasNoOwner" => exit::NOT_RUNNING,
            "org.freedesktop.DBus.Error.AccessDenied" => exit::NOT_AUTHORIZED,
            "org.freedesktop.DBus.Error.NoReply" | "org.freedesktop.DBus.Error.Timeout" => {
                exit::TIMEOUT
            }
            _ => exit::FAILURE,
        },
        _ => exit::FAILURE,
    }
}
