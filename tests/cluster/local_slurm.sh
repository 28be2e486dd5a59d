#!/usr/bin/env bash
# A real one-node SLURM cluster of Debian's slurm-wlm and munge, for tests:
#   local_slurm.sh start DIR   writes DIR/slurm.conf and a munge key, starts munged,
#                              slurmctld and slurmd on this host (as root) with every
#                              state, spool, log and pid file in DIR, and waits until
#                              the node takes jobs; prints the SLURM_CONF to export
#   local_slurm.sh stop DIR    cancels its jobs, stops the daemons started there by their
#                              process ids, and kills any job step daemon of it left
# Nothing outside DIR is written (no /etc/slurm, no /run/munge): clients find the
# cluster through SLURM_CONF=DIR/slurm.conf. Ports: ATTNLAB_SLURM_PORT (6817) and
# the next one.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
(($# == 2)) || usage
action=$1
dir=$(realpath -m "$2")

write_config() {
  local host cpus memory port
  host=$(hostname -s)
  cpus=$(nproc --all)
  memory=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  port=${ATTNLAB_SLURM_PORT:-6817}
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  chmod 700 "$dir/munge"
  cat > "$dir/slurm.conf" <<CONF
ClusterName=attnlab-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MaxArraySize=${ATTNLAB_SLURM_MAX_ARRAY_SIZE:-1001}
KillWait=${ATTNLAB_SLURM_KILL_WAIT:-10}
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  if [[ ! -s $dir/munge/munge.key ]]; then
    head -c 1024 /dev/urandom > "$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
  fi
}

start() {
  for program in munged slurmctld slurmd sbatch; do
    command -v "$program" >/dev/null ||
      { echo "$0: $program not found: install Debian's slurm-wlm and munge" >&2; exit 1; }
  done
  write_config
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/munged.log" --seed-file="$dir/munge/seed"
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -i -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  local waited=0
  until sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; do
    ((waited++ < 100)) || { echo "$0: the node did not come up in 20 s; logs in $dir" >&2
                            stop; exit 1; }
    sleep 0.2
  done
  echo "SLURM_CONF=$SLURM_CONF"
}

stop_pidfile() {  # stop_pidfile NAME: SIGTERM, then SIGKILL after 10 s
  local file=$dir/$1.pid pid
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || { rm -f "$file"; return 0; }
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

# The job step daemons slurmd started for this cluster (their environment names
# its slurm.conf), with the processes under them: they outlive slurmd when a job
# still runs as it stops.
steps_of_this_cluster() {
  local pid
  for pid in $(pgrep -x slurmstepd); do
    tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "SLURM_CONF=$dir/slurm.conf" &&
      echo "$pid" $(pgrep -P "$pid")
  done
  return 0
}

stop() {
  if [[ -s $dir/slurmctld.pid ]] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    SLURM_CONF=$dir/slurm.conf scancel --user="$(id -un)" 2>/dev/null || true  # jobs end first
    for _ in $(seq 50); do
      [[ -z $(SLURM_CONF=$dir/slurm.conf squeue -h 2>/dev/null) ]] && break
      sleep 0.2
    done
  fi
  stop_pidfile slurmd
  stop_pidfile slurmctld
  stop_pidfile munged
  local left
  left=$(steps_of_this_cluster)
  [[ -z $left ]] || kill -9 $left 2>/dev/null || true
}

case $action in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
