#!/bin/bash
# A throwaway one-machine SLURM cluster for the tests: cluster.sh start DIR | stop DIR.
#
# Writes DIR/slurm.conf (auth none, node and controller "localhost", RealMemory and CPUs from
# `slurmd -C`, proctrack linuxproc, a fast scheduler), starts slurmctld and slurmd by hand (no
# systemd) with their state, logs and pid files in DIR, and waits (bounded) for the node to be
# idle. Clients find the cluster through SLURM_CONF=DIR/slurm.conf. Exit 0 when it is up; on
# failure the daemons are stopped again and the logs' tail is printed.
set -u
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
export SLURM_CONF="$dir/slurm.conf"

stop() {
    for d in slurmd slurmctld; do
        if [ -f "$dir/$d.pid" ]; then
            pid=$(cat "$dir/$d.pid")
            kill "$pid" 2>/dev/null
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null
            rm -f "$dir/$d.pid"
        fi
    done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: cluster.sh start|stop DIR" >&2; exit 2; }

for b in slurmctld slurmd sbatch squeue; do
    command -v "$b" >/dev/null || { echo "cluster.sh: $b is not installed" >&2; exit 1; }
done
stop   # a cluster left by an earlier run of the tests
mkdir -p "$dir/state" "$dir/spool"
probe=$(slurmd -C 2>/dev/null | head -1)
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$probe")
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$probe")
ctl_port=${SLURM_TEST_PORT:-16817}
cat > "$SLURM_CONF" <<CONF
ClusterName=exprun-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
SlurmctldPort=$ctl_port
SlurmdPort=$((ctl_port + 1))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1,defer_batch=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=600
KillWait=2
SlurmdTimeout=30
InactiveLimit=0
NodeName=localhost CPUs=${cpus:-1} RealMemory=${mem:-1000} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -f "$SLURM_CONF" -i >"$dir/slurmctld.stdout" 2>&1
slurmd -f "$SLURM_CONF" -N localhost >"$dir/slurmd.stdout" 2>&1
# Up when the node is idle (bounded: 30 s).
for _ in $(seq 60); do
    state=$(sinfo -h -N -o %t 2>/dev/null | head -1)
    case "$state" in idle*) echo "cluster up: $SLURM_CONF"; exit 0 ;; esac
    sleep 0.5
done
echo "cluster.sh: the node did not become idle (state '${state:-none}')" >&2
tail -n 20 "$dir"/slurmctld.log "$dir"/slurmd.log "$dir"/*.stdout >&2 2>/dev/null
stop
exit 1
