#!/usr/bin/env bash
# Install, start, stop and inspect a local PostgreSQL server on a Debian machine (as root, no
# systemd), with a role and a database for alloyscreen's PostgreSQL tests and benchmark.
#
# Used by CI (.ci/run) before the tests that run the results store against a real server
# (tests/test_reliability_postgres.py; skipped when no server answers):
#
#   sudo scripts/local-postgres.sh install   # apt package postgresql (Debian's default version)
#   sudo scripts/local-postgres.sh start     # starts the cluster, creates role + database, waits
#   scripts/local-postgres.sh status         # pg_lsclusters and a test connection
#   sudo scripts/local-postgres.sh stop      # stops the cluster
#   scripts/local-postgres.sh url            # the URL the tests use
#
# Every subcommand is idempotent. The server listens on 127.0.0.1 only; the role's password is a
# fixed test password (this is a throw-away CI database, never a production one).
set -euo pipefail
# shellcheck source=scripts/_apt.sh
source "$(dirname "$0")/_apt.sh"

PG_USER=${ALLOYSCREEN_PG_USER:-alloyscreen}
PG_PASSWORD=${ALLOYSCREEN_PG_PASSWORD:-alloyscreen}
PG_DB=${ALLOYSCREEN_PG_DB:-alloyscreen_test}
PG_PORT=${ALLOYSCREEN_PG_PORT:-5432}
WAIT_S=${LOCAL_PG_WAIT_S:-60}
PACKAGES=(postgresql postgresql-client)

log() { echo "local-postgres: $*" >&2; }
die() {
    log "error: $*"
    exit 1
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "'$1' must run as root (it installs packages and starts daemons)"
}

url() { echo "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"; }

cmd_install() {
    need_root install
    apt_install_quiet "${PACKAGES[@]}" || return 0
    log "installed: $(dpkg-query -W -f='${Version}' postgresql)"
}

cluster() { # "VERSION NAME" of the first cluster (Debian creates 'main' on install)
    pg_lsclusters -h 2>/dev/null | awk 'NR == 1 {print $1, $2}'
}

psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -p "$PG_PORT" -qAt "$@"; }

cmd_start() {
    need_root start
    command -v pg_lsclusters >/dev/null || die "PostgreSQL is not installed; run '$0 install' first"
    local version name
    read -r version name <<<"$(cluster)"
    if [[ -z ${version:-} ]]; then
        version=$(ls /usr/lib/postgresql | sort -V | tail -1)
        pg_createcluster "$version" main --port "$PG_PORT" >/dev/null
        name=main
        log "created cluster $version/main"
    fi
    if ! pg_lsclusters -h | awk -v v="$version" -v n="$name" '$1 == v && $2 == n {print $4}' | grep -q online; then
        pg_ctlcluster "$version" "$name" start
        log "started cluster $version/$name"
    fi
    for _ in $(seq $((WAIT_S * 2))); do
        psql_admin -c 'select 1' >/dev/null 2>&1 && break
        sleep 0.5
    done
    psql_admin -c 'select 1' >/dev/null || die "server does not answer within ${WAIT_S}s"
    if [[ $(psql_admin -c "select 1 from pg_roles where rolname = '$PG_USER'") != 1 ]]; then
        psql_admin -c "create role $PG_USER login createdb password '$PG_PASSWORD'"
        log "created role $PG_USER"
    fi
    # The tests create and drop a scratch database per test module.
    psql_admin -c "alter role $PG_USER createdb"
    if [[ $(psql_admin -c "select 1 from pg_database where datname = '$PG_DB'") != 1 ]]; then
        psql_admin -c "create database $PG_DB owner $PG_USER"
        log "created database $PG_DB"
    fi
    log "ready: $(url)"
}

cmd_stop() {
    need_root stop
    local version name
    read -r version name <<<"$(cluster)"
    [[ -n ${version:-} ]] || return 0
    pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
    log "stopped cluster $version/$name"
}

cmd_status() {
    pg_lsclusters || return 1
    PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -qAt \
        -c 'select version()'
}

case ${1:-} in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
restart) cmd_stop && cmd_start ;;
status) cmd_status ;;
url) url ;;
*)
    echo "usage: $0 {install|start|stop|restart|status|url}" >&2
    exit 2
    ;;
esac
