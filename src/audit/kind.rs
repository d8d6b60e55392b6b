//! Audit event types: each has a fixed 128-bit journal `MESSAGE_ID`, a name (the
//! `TYPEWARDEN_EVENT` field) and a syslog priority.
//!
//! Invariant: MESSAGE_IDs never change once released (admins and SIEM rules filter on them)
//! and each has an entry in `packaging/typewarden.catalog` (checked by `tests/audit_journal.rs`).
//! The ids were generated once with `uuid.uuid4().hex`.

/// syslog priority (the journal's `PRIORITY` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// 3: protection failed.
    Err = 3,
    /// 4: something an admin should look at.
    Warning = 4,
    /// 5: normal but significant (locks, admin actions, start/stop).
    Notice = 5,
    /// 6: informational (device changes, training progress).
    Info = 6,
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $id:literal, $prio:ident;)+) => {
        /// The type of an audit event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $($(#[$doc])* $variant),+
        }

        impl EventKind {
            /// Every event type.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),+];

            /// The `TYPEWARDEN_EVENT` value.
            pub fn name(self) -> &'static str {
                match self { $(EventKind::$variant => $name),+ }
            }

            /// The journal `MESSAGE_ID`: 32 lowercase hex digits.
            pub fn message_id(self) -> &'static str {
                match self { $(EventKind::$variant => $id),+ }
            }

            /// The syslog priority.
            pub fn priority(self) -> Priority {
                match self { $(EventKind::$variant => Priority::$prio),+ }
            }
        }
    };
}

kinds! {
    /// The daemon started.
    DaemonStarted = "daemon_started", "090d76dc16e04aaf9997b922ba645726", Notice;
    /// The daemon is stopping.
    DaemonStopping = "daemon_stopping", "53867ca5eef040f991f6c3f229b8882c", Notice;
    /// Enrollment advanced.
    EnrollmentProgress = "enrollment_progress", "790965cdb4d94fec9f43db7d8ca35be2", Info;
    /// Enrollment finished: the user is protected.
    EnrollmentComplete = "enrollment_complete", "f9423a81c1994329875dc6a9dedd066f", Notice;
    /// The typing does not match the session owner's profile.
    ImpostorDetected = "impostor_detected", "8257e85b5dc044d79cd14285e4fe7b01", Warning;
    /// LockSession was called.
    LockRequested = "lock_requested", "f979560c84f54daba29d304dc46f1381", Notice;
    /// LockedHint confirmed the lock.
    LockConfirmed = "lock_confirmed", "3dc8bb2d00264bb996eafbdd58628a93", Notice;
    /// No locker confirmed the lock in time.
    LockNotConfirmed = "lock_not_confirmed", "b2a5e5a783824361bdf0b1dd83047278", Err;
    /// The configured escalation ran.
    Escalation = "escalation", "77af606dff3a42e79f50fadbc54109ca", Warning;
    /// A lock was undone quickly: probably a false lock.
    ProbableFalseLock = "probable_false_lock", "e4c57331bd7a4f0a84f62b9e17834202", Notice;
    /// Typing arrived from a virtual (injecting) device.
    InjectedTyping = "injected_typing", "2cf7d43346364e5e936d0123bb292cdd", Warning;
    /// A keyboard or pointer is now monitored.
    DeviceAdded = "device_added", "f74ac3a987924482b476a929e52352da", Info;
    /// A monitored keyboard or pointer went away.
    DeviceRemoved = "device_removed", "2826b5b3a72a4f72a856e37a304f841f", Info;
    /// An input device is not monitored.
    DeviceIgnored = "device_ignored", "27199f80cb6c42ccb36af05f921813c6", Info;
    /// A profile file was moved aside; its user trains again.
    ProfileQuarantined = "profile_quarantined", "3ef03e78c934471eacb719a23cae9a31", Warning;
    /// A profile written by a newer typewarden is kept, unread and not overwritten.
    ProfileNewerVersion = "profile_newer_version", "e4384a011ad04ff08ffdf7ad8561c97f", Warning;
    /// A profile could not be saved; the file on disk is the previous one.
    ProfileSaveFailed = "profile_save_failed", "4e42285cd7a247ee9595d55e9159fa60", Warning;
    /// A configuration was rejected; the previous one stays.
    ConfigRejected = "config_rejected", "a7fae432ef8e4ffaa4f141770c018889", Err;
    /// A configuration was loaded.
    ConfigReloaded = "config_reloaded", "d1c07104ce6549d5b9756ea552c7f6ac", Notice;
    /// An administrative or self-service action, allowed or denied.
    AdminActionTaken = "admin_action", "28487ae578224ee8bdd9da3b0df17b52", Notice;
    /// Protection is degraded.
    DegradedProtection = "degraded_protection", "292eda1b98304a3dade18bb8ef786a58", Warning;
    /// A degradation ended.
    ProtectionRestored = "protection_restored", "5de89fa28d43440e8622b00a7ebd5466", Notice;
}
