#!/usr/bin/env bash
# A single-node Slurm cluster for the cluster tests: munged, slurmctld and slurmd on this machine,
# partitions `cpu` (default) and `gpu`, one GPU GRES backed by a /dev/null clone so `--gpus=1`
# schedules (and sets CUDA_VISIBLE_DEVICES) on a machine without a GPU. No accounting daemon: the
# test profile polls job states with squeue.
#
#   slurm_cluster.sh up     install slurm-wlm and munge if missing (apt-get), write the config, start
#                           what is not running, wait until the node takes jobs
#   slurm_cluster.sh down   stop the daemons this script started (by their pid files), nothing else
#
# Needs root and Debian's packages. Recipe and pitfalls: ../shared/notes/slurm/README.md (Slurm
# 22.05, munge 0.5): the config must live at /etc/slurm/slurm.conf (jobs clear SLURM_CONF), a GRES
# without a device file is dropped, and MinJobAge must outlive the status polling.
set -euo pipefail

STATE=${PAI_SLURM_STATE:-/var/lib/pai-test-slurm}
NODE=$(hostname -s)
say() { echo "[slurm_cluster] $*"; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop() {  # stop one daemon we started, by its pid file
  local name=$1 pidfile=$2 pid
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  say "stopping $name (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$pidfile"
}

install_packages() {
  local missing=()
  for package in slurm-wlm munge; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

write_config() {
  local hw mem geometry
  hw=$(slurmd -C | head -1)
  mem=$(echo "$hw" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  mem=$((mem * 90 / 100))  # headroom for the daemons and the test itself
  geometry=$(echo "$hw" | grep -oE '(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=[0-9]+' | tr '\n' ' ')
  [ -c "$STATE/fake-gpu0" ] || { rm -f "$STATE/fake-gpu0"; mknod "$STATE/fake-gpu0" c 1 3; }
  cat >"$STATE/slurm.conf" <<CONF
# written by tests/cluster/slurm_cluster.sh: a one-node test cluster
ClusterName=pai-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=slurm
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
SlurmctldDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# finished jobs stay visible to squeue/scontrol for an hour: status polls and the test read them
MinJobAge=3600
DefMemPerCPU=1024
MailProg=/bin/true
KillWait=5
InactiveLimit=0
SlurmdTimeout=120
GresTypes=gpu
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 $geometry RealMemory=$mem Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=$NODE Default=NO MaxTime=INFINITE State=UP
CONF
  echo "NodeName=$NODE Name=gpu File=$STATE/fake-gpu0" >"$STATE/gres.conf"
  printf 'ConstrainCores=no\nConstrainRAMSpace=no\n' >"$STATE/cgroup.conf"
  local file changed=0
  for file in slurm.conf gres.conf cgroup.conf; do
    if ! cmp -s "$STATE/$file" "/etc/slurm/$file"; then
      install -m 0644 "$STATE/$file" "/etc/slurm/$file"
      changed=1
    fi
  done
  if [ $changed = 1 ]; then  # daemons read their config at start only
    stop slurmd "$STATE/slurmd.pid"
    stop slurmctld "$STATE/slurmctld.pid"
  fi
}

up() {
  [ "$(id -u)" = 0 ] || { echo "slurm_cluster.sh: must run as root" >&2; exit 1; }
  install_packages
  mkdir -p "$STATE" /etc/slurm /var/spool/slurmctld /var/spool/slurmd /run/munge
  chown slurm:slurm /var/spool/slurmctld "$STATE"
  chown munge:munge /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --force
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  if ! alive "$STATE/munged.pid" && ! alive /run/munge/munged.pid; then
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
    for _ in $(seq 1 40); do alive /run/munge/munged.pid && break; sleep 0.25; done
    cp /run/munge/munged.pid "$STATE/munged.pid"
  fi
  write_config
  chown slurm:slurm "$STATE"
  alive "$STATE/slurmctld.pid" || { say "starting slurmctld"; /usr/sbin/slurmctld; }
  alive "$STATE/slurmd.pid" || { say "starting slurmd"; /usr/sbin/slurmd; }
  local state=""
  for _ in $(seq 1 120); do
    state=$(sinfo -h -n "$NODE" -o '%T' 2>/dev/null | head -1)
    case "$state" in idle | mixed | allocated | completing) break ;; esac
    case "$state" in down* | drain*) scontrol update NodeName="$NODE" State=RESUME || true ;; esac
    sleep 0.5
  done
  case "$state" in
    idle | mixed | allocated | completing) say "node $NODE is $state" ;;
    *) scontrol show node "$NODE" >&2 || true; echo "slurm node not usable: '$state'" >&2; exit 1 ;;
  esac
}

down() {
  stop slurmd "$STATE/slurmd.pid"
  stop slurmctld "$STATE/slurmctld.pid"
  stop munged "$STATE/munged.pid"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
