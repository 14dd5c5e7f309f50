#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring (Secret Service),
# so the keyring store's Secret Service tests run for real instead of skipping.
#
#   crates/storage/scripts/with-keyring.sh cargo test -p tapis-auth-storage --all-features
#
# Installs what it needs with apt-get when missing and running as root:
#   gnome-keyring dbus dbus-x11 keyutils libsecret-tools
# (no libdbus-1-dev: the keyring store talks to the Secret Service over zbus, in pure Rust).
# The keyring password is fixed and the keyring lives in a throw-away XDG_DATA_HOME: test use only.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

need=()
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v dbus-launch >/dev/null || need+=(dbus-x11)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v keyctl >/dev/null || need+=(keyutils)
command -v secret-tool >/dev/null || need+=(libsecret-tools)
if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "with-keyring: installing ${need[*]}" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
    else
        echo "with-keyring: missing ${need[*]}; install them (apt-get install ${need[*]})" >&2
        exit 1
    fi
fi

if [ "${WITH_KEYRING_INNER:-}" != 1 ]; then
    export WITH_KEYRING_INNER=1
    exec dbus-run-session -- "$0" "$@"
fi

# Inside the private session bus.
scratch="$(mktemp -d)"
# Never `kill 0`: with no PID that would signal this whole process group (the caller's CI
# script included). Without a PID the daemon exits with the private bus anyway.
cleanup() {
    if [ -n "${GNOME_KEYRING_PID:-}" ]; then kill "$GNOME_KEYRING_PID" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'libtapis-auth-test\n' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL GNOME_KEYRING_PID
# Wait until the Secret Service answers (and the login collection exists).
for _ in $(seq 1 50); do
    if printf 'x' | secret-tool store --label=probe with-keyring probe 2>/dev/null; then
        secret-tool clear with-keyring probe 2>/dev/null || true
        break
    fi
    sleep 0.1
done
# The kernel-keyring tests use the session keyring this process already has (no daemon needed).
"$@"
