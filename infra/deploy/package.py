"""`make package`: the release binaries as reproducible zips, and the templates, in dist/ with a manifest. No AWS call.

A zip's bytes depend only on the binary's bytes (fixed timestamp, permissions and order), so an unchanged source
gives an unchanged zip, an unchanged key (content-addressed: the SHA-256 is in the key) and nothing to upload.
"""
import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

from common import MANIFEST, DeployError, say

LAMBDAS = ("backup-tagger", "backup-backfill", "backup-bootstrap", "backup-alerts")
TEMPLATES = ("template.yaml",)
# The Lambda custom runtime's entry point (provided.al2023): an executable named bootstrap at the zip's root.
ENTRY = "bootstrap"
EPOCH = (1980, 1, 1, 0, 0, 0)


def target_dir(root):
    """Where cargo puts build output: CARGO_TARGET_DIR, build.target-dir, or target/ (cargo metadata knows)."""
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=root, check=True, capture_output=True, text=True
    )
    return Path(json.loads(out.stdout)["target_directory"])


def reproducible_zip(binary, destination, extra=None):
    """`binary` as `bootstrap` (mode 0755), plus `extra` {name: bytes}; same input, same bytes."""
    with zipfile.ZipFile(destination, "w") as zf:
        entries = [(ENTRY, Path(binary).read_bytes(), 0o100755)]
        entries += [(name, data, 0o100644) for name, data in sorted((extra or {}).items())]
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.create_system = 3
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def package(root, dist):
    root, dist = Path(root), Path(dist)
    lambda_dir = target_dir(root) / "lambda"
    dist.mkdir(parents=True, exist_ok=True)
    manifest = {"artifacts": {}, "templates": {}}
    for name in LAMBDAS:
        binary = lambda_dir / name / ENTRY
        if not binary.exists():
            raise DeployError(f"{binary} is missing: build it with `cargo lambda build --release` (make package does)")
        zip_path = dist / f"{name}.zip"
        reproducible_zip(binary, zip_path)
        digest = sha256(zip_path)
        manifest["artifacts"][name] = {
            "file": zip_path.name, "sha256": digest, "bytes": zip_path.stat().st_size,
            "key": f"superwerker-backup/{name}/{digest}.zip",
        }
        say(f"{name}: {zip_path.stat().st_size} bytes zipped ({zip_path}, sha256 {digest[:12]})")
    for name in TEMPLATES:
        shutil.copyfile(root / "infra" / name, dist / name)
        digest = sha256(dist / name)
        manifest["templates"][name] = {
            "file": name, "sha256": digest, "bytes": (dist / name).stat().st_size,
            "key": f"superwerker-backup/templates/{digest}.yaml",
        }
    (dist / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    say(f"packaged into {dist}/ ({MANIFEST})")
    return manifest
