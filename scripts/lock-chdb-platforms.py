#!/usr/bin/env python3
"""Adds chdb's other-platform engine packages to package-lock.json when they are missing.

chdb ships its engine as one optional package per platform. A registry mirror that serves only
linux-x64 makes npm drop the other three from the lock, and then `npm ci` refuses the lock as
out of sync on every machine. Entries for the missing platforms (no integrity: npm skips them
on other platforms, and fetches them by name on macOS / arm64) keep the lock valid everywhere.
Run after `npm install` changes the lock: python3 scripts/lock-chdb-platforms.py
"""
import json
import pathlib

lock_path = pathlib.Path(__file__).resolve().parent.parent / "package-lock.json"
lock = json.loads(lock_path.read_text())
packages = lock["packages"]
chdb = packages["node_modules/chdb"]
platforms = {
    "@chdb/lib-darwin-arm64": (["darwin"], ["arm64"], None),
    "@chdb/lib-darwin-x64": (["darwin"], ["x64"], None),
    "@chdb/lib-linux-arm64-gnu": (["linux"], ["arm64"], ["glibc"]),
    "@chdb/lib-linux-x64-gnu": (["linux"], ["x64"], ["glibc"]),
}
added = []
for name, version in chdb.get("optionalDependencies", {}).items():
    key = f"node_modules/{name}"
    if key in packages:
        continue
    os_, cpu, libc = platforms[name]
    entry = {"version": version, "cpu": cpu, "dev": True}
    if libc:
        entry["libc"] = libc
    entry.update({"license": "Apache-2.0", "optional": True, "os": os_})
    packages[key] = entry
    added.append(name)
lock["packages"] = dict(sorted(packages.items(), key=lambda kv: (kv[0] != "", kv[0])))
lock_path.write_text(json.dumps(lock, indent=2) + "\n")
print("added: " + (", ".join(added) if added else "nothing (lock already complete)"))
