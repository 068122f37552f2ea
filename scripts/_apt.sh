# Shared by scripts/local-*.sh (sourced, not run): install Debian packages without starting their
# daemons (no init system on these machines; the scripts start the daemons themselves).
# Needs a `log` function from the sourcing script.

# apt_install_quiet PACKAGE... : install the missing ones; returns 1 if none was missing.
apt_install_quiet() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "packages already installed: $*"
        return 1
    fi
    # policy-rc.d exit 101: apt must not try to start the daemons; the previous state is restored.
    local created_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        created_policy=1
    fi
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends "$@"; then
        apt-get update -q
        apt-get install -y -q --no-install-recommends "$@"
    fi
    if [[ $created_policy -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
    return 0
}
