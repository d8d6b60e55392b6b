#!/usr/bin/env bash
# Inspects the packages built by packaging/build.sh (run it first, or pass DEB= and RPM=):
# file lists, owners and modes, conffiles, dependencies, maintainer scripts (syntax and what
# they may do), the XML policies and man pages, and lintian. Prints PASS/FAIL per check and
# exits 1 on any FAIL. Needs dpkg-deb, rpm and lintian (packaging/install-tools.sh).
set -uo pipefail
shopt -s extglob
cd "$(dirname "$0")/../.."
DEB=${DEB:-$(ls -1 target/debian/typewarden_*.deb 2>/dev/null | tail -1)}
RPM=${RPM:-$(ls -1 target/generate-rpm/typewarden-*.rpm 2>/dev/null | tail -1)}
[ -f "$DEB" ] && [ -f "$RPM" ] || { echo "tests/packaging/check.sh: build first (packaging/build.sh)" >&2; exit 1; }
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# mode path, for both packages (the deb keeps units and udev rules in /lib on Debian 12).
COMMON="755 usr/bin/typewarden
644 usr/share/dbus-1/system.d/io.github.typewarden1.conf
644 usr/share/polkit-1/actions/io.github.typewarden1.policy
644 usr/lib/systemd/catalog/typewarden.catalog
644 etc/typewarden/typewarden.toml
644 usr/share/bash-completion/completions/typewarden
644 usr/share/fish/vendor_completions.d/typewarden.fish"
DEB_FILES="$COMMON
644 lib/systemd/system/typewarden.service
644 lib/udev/rules.d/70-typewarden.rules
644 usr/share/man/man8/typewarden.8.gz
644 usr/share/man/man5/typewarden.toml.5.gz
644 usr/share/zsh/vendor-completions/_typewarden"
RPM_FILES="$COMMON
644 usr/lib/systemd/system/typewarden.service
644 usr/lib/udev/rules.d/70-typewarden.rules
644 usr/share/man/man8/typewarden.8.gz
644 usr/share/man/man5/typewarden.toml.5.gz
644 usr/share/zsh/site-functions/_typewarden"

octal() { # -rwxr-xr-x -> 755
    local p=$1 o="" i d
    for i in 1 4 7; do
        d=0
        [ "${p:i:1}" = r ] && d=$((d + 4))
        [ "${p:i+1:1}" = w ] && d=$((d + 2))
        [[ "${p:i+2:1}" == [xs] ]] && d=$((d + 1))
        o+=$d
    done
    echo "$o"
}

check_list() { # name listing(perms owner path) expected
    local name=$1 listing=$2 expected=$3 mode path line got before=$fails
    while read -r mode path; do
        line=$(awk -v p="$path" '$3 == p' <<<"$listing")
        if [ -z "$line" ]; then
            fail "$name: missing /$path"
            continue
        fi
        got=$(octal "$(awk '{ print $1 }' <<<"$line")")
        [ "$got" = "$mode" ] || fail "$name: /$path has mode $got, want $mode"
        [[ "$(awk '{ print $2 }' <<<"$line")" == @(root/root|0/0) ]] || fail "$name: /$path not owned by root"
    done <<<"$expected"
    [ "$fails" = "$before" ] && pass "$name: $(wc -l <<<"$expected") expected files present, root-owned, with their modes"
    grep -E '^[^d].w..w|^[^d]......w' <<<"$listing" && fail "$name: group/world-writable files"
    grep -q 'var/lib/typewarden' <<<"$listing" && fail "$name: ships /var/lib/typewarden (systemd creates it)"
}

# --- deb --------------------------------------------------------------------------------
deb_list=$(dpkg-deb -c "$DEB" | awk '{ sub("^\\./", "", $6); print $1, $2, $6 }')
check_list deb "$deb_list" "$DEB_FILES"
info=$(dpkg-deb -I "$DEB")
grep -q '^ Depends:.*systemd' <<<"$info" && pass "deb: depends on systemd" || fail "deb: no systemd dependency"
[ "$(dpkg-deb -f "$DEB" Section)" = admin ] || fail "deb: section is not admin"
ctl=$(mktemp -d)
trap 'rm -rf "$ctl"' EXIT
dpkg-deb -e "$DEB" "$ctl"
grep -qx /etc/typewarden/typewarden.toml "$ctl/conffiles" && pass "deb: typewarden.toml is a conffile" || fail "deb: typewarden.toml not a conffile"
for s in postinst prerm postrm; do
    [ -x "$ctl/$s" ] || { fail "deb: $s missing or not executable"; continue; }
    sh -n "$ctl/$s" || fail "deb: $s has a syntax error"
done
code() { grep -v '^[[:space:]]*#' "$@"; }
code "$ctl/postinst" | grep -Eq 'systemctl (start|restart|enable --now)|deb-systemd-invoke (start|restart)' &&
    fail "deb: postinst starts the service (policy: enable only)"
grep -q 'deb-systemd-helper enable' "$ctl/postinst" && pass "deb: postinst enables on first install" || fail "deb: postinst does not enable"
for w in 'daemon-reload' 'udevadm control --reload' 'journalctl --update-catalog'; do
    grep -q -- "$w" "$ctl/postinst" || fail "deb: postinst lacks $w"
done
grep -q 'stop typewarden.service' "$ctl/prerm" || fail "deb: prerm does not stop the service"
purge_rm=$(awk '/^purge\)/,/;;/' "$ctl/postrm" | grep -c -- '-delete')
all_rm=$(code "$ctl/postrm" | grep -Ec -- '-delete|rm -rf')
[ "$purge_rm" = 1 ] && [ "$all_rm" = 1 ] && pass "deb: only purge deletes /var/lib/typewarden" ||
    fail "deb: postrm must delete profiles on purge only"

# --- rpm --------------------------------------------------------------------------------
rpm_list=$(rpm -qlvp "$RPM" 2>/dev/null | awk '{ sub("^/", "", $9); print $1, $3 "/" $4, $9 }')
check_list rpm "$rpm_list" "$RPM_FILES"
rpm -qp --configfiles "$RPM" 2>/dev/null | grep -qx /etc/typewarden/typewarden.toml &&
    pass "rpm: typewarden.toml is %config" || fail "rpm: typewarden.toml not %config"
scripts=$(rpm -qp --scripts "$RPM" 2>/dev/null)
for s in postinstall preuninstall postuninstall; do
    grep -q "^$s scriptlet" <<<"$scripts" || fail "rpm: no $s scriptlet"
done
grep -v '^[[:space:]]*#' <<<"$scripts" | grep -Eq 'rm -rf|-delete' && fail "rpm: an erase must keep the profiles"
rpm -qpR "$RPM" 2>/dev/null | grep -qx systemd && pass "rpm: requires systemd" || fail "rpm: no systemd requirement"

# --- content ------------------------------------------------------------------------------
if command -v xmllint >/dev/null; then
    for x in packaging/dbus/io.github.typewarden1.conf packaging/polkit/io.github.typewarden1.policy; do
        xmllint --noout "$x" && pass "xml: $x well-formed" || fail "xml: $x"
    done
else
    echo "SKIP: xmllint not installed (apt-get install libxml2-utils); tests/api_policy.rs still loads the D-Bus policy into a real dbus-daemon"
fi
for m in packaging/man/typewarden.8 packaging/man/typewarden.toml.5; do
    warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$m" 2>&1 >/dev/null)
    [ -z "$warn" ] && pass "man: $m renders without warnings" || fail "man: $m: $warn"
done

# --- lintian --------------------------------------------------------------------------------
# Tolerated, each for a reason: the maintainer address and the Debian changelog belong to
# whoever publishes the package (set them in Cargo.toml's [package.metadata.deb]).
ALLOWED='bogus-mail-host|no-changelog'
if command -v lintian >/dev/null; then
    out=$(lintian --tag-display-limit 0 "$DEB" 2>/dev/null)
    echo "$out" | sed 's/^/  lintian: /'
    bad=$(grep -E '^E: ' <<<"$out" | grep -Ev "$ALLOWED")
    [ -z "$bad" ] && pass "lintian: no errors beyond the allowed ($ALLOWED)" || fail "lintian errors: $bad"
else
    echo "SKIP: lintian not installed"
fi

echo "== $fails failure(s)"
[ "$fails" = 0 ]
