#!/usr/bin/env bash
# What the release profile buys: backup-tagger built with the project's [profile.release] (opt-level "s", no LTO,
# 16 codegen units, stripped), with [profile.release-lto] (thin LTO and 1 codegen unit, the profile until 2026-12-07)
# and with [profile.release-plain] (Cargo's release defaults: opt-level 3, no LTO, 16 codegen units, not stripped).
# Records binary and zip sizes and the cold per-event time and peak RSS of each into bench/profile-effect.json, which
# `make bench` includes. Run by `make bench-profile` (not part of `make bench`: it compiles every dependency twice
# more, ~30 minutes here).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/.venv/bin:$PATH"
# Where cargo builds (CARGO_TARGET_DIR, build.target-dir or target/).
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
cargo lambda build --release --bin backup-tagger --output-format zip
cargo lambda build --profile release-lto --bin backup-tagger --output-format zip --lambda-dir "$target/lambda-lto"
plain_start=$(date +%s)
cargo lambda build --profile release-plain --bin backup-tagger --output-format zip --lambda-dir "$target/lambda-plain"
plain_build_s=$(( $(date +%s) - plain_start ))
release_bin="$target"/x86_64-unknown-linux-gnu/release/backup-tagger
plain_bin="$target"/x86_64-unknown-linux-gnu/release-plain/backup-tagger
lto_bin="$target"/x86_64-unknown-linux-gnu/release-lto/backup-tagger
run_dir="$(mktemp -d)"
tests/harness/with-emulator.sh -- .venv-bench/bin/python bench/bench.py --cold-only --runs 10 --tagger "$release_bin" \
  --backfill none --out "$run_dir/release.json"
tests/harness/with-emulator.sh -- .venv-bench/bin/python bench/bench.py --cold-only --runs 10 --tagger "$lto_bin" \
  --backfill none --out "$run_dir/lto.json"
tests/harness/with-emulator.sh -- .venv-bench/bin/python bench/bench.py --cold-only --runs 10 --tagger "$plain_bin" \
  --backfill none --out "$run_dir/plain.json"
.venv-bench/bin/python - "$run_dir" "$release_bin" "$plain_bin" "$plain_build_s" "$target" "$lto_bin" <<'PY'
import json, os, sys, time
run_dir, release_bin, plain_bin, plain_build_s, target, lto_bin = sys.argv[1:]
def one(name, binary, zip_path):
    cold = json.load(open(os.path.join(run_dir, name + ".json")))
    return {"binary_bytes": os.path.getsize(binary), "zip_bytes": os.path.getsize(zip_path),
            "cold_ms": cold["ours_ms"], "cold_rss_mb": cold["ours_rss_mb"]}
out = {
    "date": time.strftime("%Y-%m-%d", time.gmtime()),
    "release (opt-level s, no lto, codegen-units 16, strip)": one("release", release_bin, os.path.join(target, "lambda/backup-tagger/bootstrap.zip")),
    "release-lto (opt-level s, lto thin, codegen-units 1, strip)": one("lto", lto_bin, os.path.join(target, "lambda-lto/backup-tagger/bootstrap.zip")),
    "release-plain (opt-level 3, no lto, codegen-units 16, no strip)": one("plain", plain_bin, os.path.join(target, "lambda-plain/backup-tagger/bootstrap.zip")),
    "release_plain_build_s": int(plain_build_s),
}
json.dump(out, open("bench/profile-effect.json", "w"), indent=2)
print(json.dumps(out, indent=2))
PY
