#!/usr/bin/python3
"""Checks deploy/ against the code it deploys (ctest deploy_manifests).

  deploy/check_manifests.py BUILD/tools/sluice

Kubernetes (deploy/kubernetes/*.yaml, parsed with PyYAML, Debian's python3-yaml):
  - every `sluice jobmanager|taskmanager` command, with its pod's $(VAR)s filled in (each must be
    an env var of its container) and its --config pointing at the ConfigMap's file, passes
    `sluice ... --check`: every key of the TOML and of the -D overrides is known and valid;
  - the --config path is where a volume mounts that ConfigMap;
  - every JobManager and TaskManager container mounts, at execution.checkpointing.dir (or a
    parent of it) and at the JobManagers' --input and --output directories, a volume of one
    PersistentVolumeClaim of the manifests, the same for every pod, whose accessModes hold
    ReadWriteMany (each process must see the same directory, from any node);
  - the Services' ports are the ones the configuration sets (RPC, REST, etcd);
  - two JobManagers (high availability) and etcd endpoints that name the etcd StatefulSet's pods.
Docker (deploy/Dockerfile):
  - the runtime stage installs the Debian package of every shared library the built binary links
    (ldd + dpkg -S), and the build stage every development package tools/setup lists.
Prints what it checked; exits 1 naming each problem.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
problems = []


def problem(text):
    problems.append(text)
    print("FAIL: " + text)


def containers(doc):
    spec = doc.get("spec", {})
    template = spec.get("template", {}).get("spec", {})
    return template.get("containers", []), template.get("volumes", [])


def under(path, mount_path):
    """Whether `path` is `mount_path` or below it."""
    mount_path = mount_path.rstrip("/") or "/"
    return path == mount_path or path.startswith(mount_path.rstrip("/") + "/")


def shared_claim(name, container, volumes, claims, path, what):
    """The ReadWriteMany claim whose volume `container` mounts at `path` or the nearest parent
    of it; None (after naming the problem) if there is none."""
    mounts = [m for m in container.get("volumeMounts", []) if under(path, m["mountPath"])]
    if not mounts:
        problem(f"{name}: no volume is mounted at {what} {path} or a parent of it")
        return None
    mount = max(mounts, key=lambda m: len(m["mountPath"].rstrip("/")))  # the innermost holds it
    volume = next((v for v in volumes if v["name"] == mount["name"]), {})
    claim_name = (volume.get("persistentVolumeClaim") or {}).get("claimName")
    if claim_name is None:
        problem(f"{name}: {what} {path} is on volume '{mount['name']}', which is not a "
                "PersistentVolumeClaim every pod shares")
        return None
    claim = claims.get(claim_name)
    if claim is None:
        problem(f"{name}: {what} {path} is on claim {claim_name}, which no manifest defines")
        return None
    if "ReadWriteMany" not in claim.get("spec", {}).get("accessModes", []):
        problem(f"{name}: {what} {path} is on claim {claim_name}, which is not ReadWriteMany")
        return None
    return claim_name


def option(args, flag):
    """The value of `flag` in a command's args, or None."""
    return args[args.index(flag) + 1] if flag in args[:-1] else None


def overridden(args, key, default):
    """`key`'s value after the command's -D overrides (the last wins)."""
    value = default
    for i, arg in enumerate(args):
        setting = args[i + 1] if arg == "-D" and i + 1 < len(args) else (
            arg[2:] if arg.startswith("-D") and len(arg) > 2 else "")
        if setting.startswith(key + "="):
            value = setting.split("=", 1)[1]
    return value


def config_values(toml_text):
    """The flat key -> value map `sluice` sees, read back from the ConfigMap (tables included)."""
    values, table = {}, ""
    for line in toml_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"\[(.+)\]", line)
        if match:
            table = match.group(1).strip() + "."
            continue
        key, _, value = line.partition("=")
        values[table + key.strip()] = value.strip().strip('"')
    return values


def check_kubernetes(sluice):
    docs = []
    for path in sorted(glob.glob(os.path.join(ROOT, "deploy/kubernetes/*.yaml"))):
        with open(path) as f:
            docs += [d for d in yaml.safe_load_all(f) if d]
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    configmap = by_kind.get("ConfigMap", {}).get("sluice-config")
    if configmap is None:
        problem("no ConfigMap sluice-config")
        return
    toml_text = configmap["data"]["sluice.toml"]
    values = config_values(toml_text)
    with tempfile.TemporaryDirectory() as tmp:
        config_path = os.path.join(tmp, "sluice.toml")
        with open(config_path, "w") as f:
            f.write(toml_text)
        checked = 0
        processes = []  # (workload name, "jobmanager" | "taskmanager", container, volumes, args)
        for kind in ("StatefulSet", "Deployment"):
            for name, doc in by_kind.get(kind, {}).items():
                pods, volumes = containers(doc)
                for container in pods:
                    command = container.get("command", [])
                    if not command or command[0] != "sluice" or command[1] not in (
                            "jobmanager", "taskmanager"):
                        continue
                    env = {e["name"] for e in container.get("env", [])}
                    args = []
                    for arg in command[1:]:
                        for var in re.findall(r"\$\((\w+)\)", arg):
                            if var not in env:
                                problem(f"{name}: $({var}) is no env var of its container")
                        args.append(re.sub(r"\$\((\w+)\)", lambda m: {"POD_IP": "10.0.0.7"}.get(
                            m.group(1), name + "-0"), arg))
                    config_arg = args[args.index("--config") + 1]
                    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
                    mounted = any(
                        v.get("configMap", {}).get("name") == "sluice-config" and
                        config_arg == os.path.join(mounts.get(v["name"], "?"), "sluice.toml")
                        for v in volumes)
                    if not mounted:
                        problem(f"{name}: --config {config_arg} is not the mounted ConfigMap")
                    args[args.index("--config") + 1] = config_path
                    run = subprocess.run([sluice] + args + ["--check"], capture_output=True,
                                         text=True)
                    if run.returncode != 0:
                        problem(f"{name}: sluice {' '.join(args)} --check: {run.stderr.strip()}")
                    checked += 1
                    processes.append((name, command[1], container, volumes, args))
        print(f"kubernetes: {checked} sluice commands pass --check against the ConfigMap")
        if checked < 2:
            problem("expected a JobManager and a TaskManager command")
    check_shared_dirs(processes, values, by_kind.get("PersistentVolumeClaim", {}))

    def service_ports(service):
        doc = by_kind.get("Service", {}).get(service)
        return {p["port"] for p in doc["spec"]["ports"]} if doc else set()

    expected = {
        "sluice-jobmanager": int(values.get("jobmanager.rpc.port", "6123")),
        "sluice-rest": int(values.get("rest.port", "8081")),
    }
    for service, port in expected.items():
        if port not in service_ports(service):
            problem(f"Service {service} does not expose port {port}, which the config sets")
    endpoints = values.get("high-availability.etcd.endpoints", "")
    etcd = by_kind.get("StatefulSet", {}).get("etcd")
    replicas = etcd["spec"]["replicas"] if etcd else 0
    want = ",".join(f"http://etcd-{i}.etcd:2379" for i in range(replicas))
    if endpoints != want:
        problem(f"high-availability.etcd.endpoints '{endpoints}' is not the etcd pods' '{want}'")
    if 2379 not in service_ports("etcd"):
        problem("Service etcd does not expose 2379")
    jobmanagers = by_kind.get("StatefulSet", {}).get("sluice-jobmanager")
    if not jobmanagers or jobmanagers["spec"]["replicas"] < 2:
        problem("high availability wants at least two JobManagers")
    print(f"kubernetes: ports {sorted(expected.values())}, {replicas} etcd members, "
          f"{jobmanagers['spec']['replicas'] if jobmanagers else 0} JobManagers")


def check_shared_dirs(processes, values, claims):
    """Every JobManager and TaskManager sees execution.checkpointing.dir and the job's input and
    output directories on one ReadWriteMany claim (the same for all of them)."""
    dirs = []  # (what, path): every process must see each of these
    checkpoint_dirs = set()
    for name, role, container, volumes, args in processes:
        checkpoint_dir = overridden(args, "execution.checkpointing.dir",
                                    values.get("execution.checkpointing.dir", ""))
        if checkpoint_dir.startswith("file://"):
            checkpoint_dir = checkpoint_dir[len("file://"):]
        if checkpoint_dir.startswith("/"):
            checkpoint_dir = checkpoint_dir.rstrip("/") or "/"
            checkpoint_dirs.add(checkpoint_dir)
            dirs.append(("execution.checkpointing.dir", checkpoint_dir))
        else:
            problem(f"{name}: execution.checkpointing.dir '{checkpoint_dir}' is not an absolute "
                    "path")
        if role == "jobmanager":
            for flag in ("--input", "--output"):
                path = option(args, flag)
                if path is None:
                    problem(f"{name}: no {flag}: its default, {flag[2:]}/ in the container's own "
                            "directory, is not shared with the TaskManagers")
                elif not path.startswith("/"):
                    problem(f"{name}: {flag} {path} is not absolute (the TaskManagers get it as "
                            "the JobManager resolves it)")
                else:
                    dirs.append((flag, path.rstrip("/") or "/"))
    if len(checkpoint_dirs) > 1:
        problem(f"the processes name different execution.checkpointing.dirs: "
                f"{sorted(checkpoint_dirs)}")
    shared = {}  # path -> the claim every process mounts it from
    for what, path in sorted(set(dirs)):
        found = [shared_claim(name, container, volumes, claims, path, what)
                 for name, _, container, volumes, _ in processes]
        if len(set(found)) > 1 and None not in found:
            problem(f"{what} {path} is on different claims in different pods: "
                    f"{sorted(set(found))}")
        elif found and None not in found:
            shared[path] = found[0]
    by_claim = {}
    for path, claim in sorted(shared.items()):
        by_claim.setdefault(claim, []).append(path)
    print(f"kubernetes: {len(processes)} JobManager/TaskManager containers share "
          + ("; ".join(f"{', '.join(paths)} on ReadWriteMany claim {claim}"
                       for claim, paths in sorted(by_claim.items())) or "no directory"))


def apt_packages(stage_text):
    """The packages of the `apt-get install` in a Dockerfile stage."""
    match = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", stage_text, re.S)
    return set(match.group(1).replace("\\", " ").split()) if match else set()


def check_docker(sluice):
    with open(os.path.join(ROOT, "deploy/Dockerfile")) as f:
        stages = re.split(r"^FROM ", f.read(), flags=re.M)[1:]
    if len(stages) != 2 or not stages[0].startswith("debian:12") or \
            not stages[1].startswith("debian:12"):
        problem("the Dockerfile wants two stages, both Debian 12")
        return
    build, runtime = apt_packages(stages[0]), apt_packages(stages[1])
    ldd = subprocess.run(["ldd", sluice], capture_output=True, text=True).stdout
    linked = set()
    for path in re.findall(r"=> (/\S+)", ldd):
        if "/build/" in path:
            continue  # Sluice's own libraries, installed under /opt/sluice
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True,
                               text=True).stdout.split(":")[0]
        if owner and owner not in ("libc6", "libgcc-s1", "libstdc++6"):
            linked.add(owner)
    # What installing the runtime packages brings: them and their dependencies, recursively (a
    # library pulled in by a listed one need not be listed itself).
    closure = set(subprocess.run(
        ["apt-cache", "depends", "--recurse", "--installed", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + sorted(runtime),
        capture_output=True, text=True).stdout.split())
    for package in sorted(linked - closure):
        problem(f"the runtime stage does not install {package}, which sluice links")
    with open(os.path.join(ROOT, "tools/setup")) as f:
        setup = re.search(r"packages=\((.*?)\)", f.read(), re.S).group(1).split()
    for package in setup:
        if package.endswith("-dev") and "clang" not in package and package not in build:
            problem(f"the build stage does not install {package} (tools/setup does)")
    print(f"docker: {len(linked)} linked packages, {len(build)} build packages checked")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    sluice = os.path.abspath(sys.argv[1])
    check_kubernetes(sluice)
    check_docker(sluice)
    if problems:
        print(f"{len(problems)} problem(s)")
        return 1
    print("deploy/: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
