#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for trying the SLURM launchers and for the
# tests marked `slurm` (pytest -m slurm). Installs nothing: it needs Debian's slurm-wlm
# and munge (apt-get install -y slurm-wlm munge) and root (the daemons run as root).
#
#   bash scripts/slurm_local.sh start   # munged, slurmctld, slurmd; prints the exports
#   bash scripts/slurm_local.sh status  # sinfo
#   bash scripts/slurm_local.sh stop    # stops the daemons it started (by pid), removes the folder
#
# Everything lives in one folder, $SLURM_LOCAL_DIR (default /tmp/softrecon-slurm): the
# generated slurm.conf, state and spool folders, logs, the munge key and socket, and the
# pid of every daemon started. The node has this machine's CPUs (nproc) and memory and
# no GPUs; ProctrackType=proctrack/linuxproc and TaskPlugin=task/none need no cgroups or
# systemd, so it also runs in a container. Jobs may be requeued (scontrol requeue) and
# are signalled SIGTERM, then killed KillWait=30 s later.
#
# Clients find the cluster through SLURM_CONF and the munge socket; `start` prints
#   export SLURM_CONF=...
# and writes the same line to $SLURM_LOCAL_DIR/env (source it).
set -euo pipefail

DIR="${SLURM_LOCAL_DIR:-/tmp/softrecon-slurm}"
CONF="$DIR/slurm.conf"
SOCKET="$DIR/munge/munge.socket"

die() { echo "slurm_local.sh: $*" >&2; exit 1; }

stop() {
    local name pid
    for name in slurmd slurmctld munged; do
        [ -f "$DIR/$name.pid" ] || continue
        pid="$(cat "$DIR/$name.pid")"
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$DIR/$name.pid"
    done
    rm -rf "$DIR"
}

wait_for() {  # wait_for <seconds> <command...>
    local seconds="$1"; shift
    for _ in $(seq $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    return 1
}

start() {
    for tool in munged slurmctld slurmd sinfo; do
        command -v "$tool" >/dev/null || die "$tool not found: apt-get install -y slurm-wlm munge"
    done
    [ "$(id -u)" = 0 ] || die "the daemons run as root here; run it as root"
    if [ -f "$DIR/slurmctld.pid" ] && kill -0 "$(cat "$DIR/slurmctld.pid")" 2>/dev/null; then
        die "already running in $DIR (stop it first)"
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR"/{state,spool,log,munge}
    chmod 700 "$DIR/munge"
    local host cpus mem_mb
    host="$(hostname -s)"
    cpus="$(nproc)"
    mem_mb="$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)"
    # munge: a fresh key, its own socket, pid file and log.
    dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$DIR/munge/munge.key"
    munged --force --key-file="$DIR/munge/munge.key" --socket="$SOCKET" \
        --pid-file="$DIR/munged.pid" --log-file="$DIR/log/munged.log" --seed-file="$DIR/munge/seed"
    wait_for 10 test -S "$SOCKET" || die "munged did not start (see $DIR/log/munged.log)"
    cat >"$CONF" <<EOF
ClusterName=softrecon-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
JobRequeue=1
KillWait=30
MinJobAge=3600
SlurmctldPort=${SLURM_LOCAL_PORT:-6817}
SlurmdPort=$(( ${SLURM_LOCAL_PORT:-6817} + 1 ))
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    slurmctld -f "$CONF"
    slurmd -f "$CONF"
    export SLURM_CONF="$CONF"
    echo "export SLURM_CONF=$CONF" >"$DIR/env"
    if ! wait_for 30 sh -c "sinfo -h -o %T | grep -qE '^(idle|mixed|allocated)'"; then
        sinfo >&2 || true
        tail -n 20 "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log" >&2 || true
        stop
        die "the node did not come up"
    fi
    echo "export SLURM_CONF=$CONF"
    sinfo >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) SLURM_CONF="$CONF" sinfo ;;
    *) die "usage: $0 start|stop|status" ;;
esac
