# superwerker-backup — the front door. `make demo` and `make test` set up everything they need.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
REQUIREMENTS := tests/harness/requirements.txt
STAMP := $(VENV)/.installed
LINT_VENV := .venv-lint
LINT_REQUIREMENTS := tests/harness/requirements-lint.txt
LINT_STAMP := $(LINT_VENV)/.installed
LAMBDAS := backup-tagger backup-backfill backup-bootstrap backup-alerts
# make package / publish / deploy / deploy-organization (README, Deploy). Empty REGIONS: the region of the AWS
# standard chain (AWS_REGION, AWS_DEFAULT_REGION, the profile); empty ARTIFACT_BUCKET_PREFIX: one per account.
REGIONS ?=
ARTIFACT_BUCKET_PREFIX ?=
OU_IDS ?=
CALL_AS ?= SELF
STACK ?= superwerker-backup
BOOTSTRAP ?= false
BACKUP_SCOPE ?= organization
# deploy-organization: central (every account's alerts to the management account's topic) or account (README, Alerts).
ALERTS ?= central
PUBLISH_ARGS ?=
DEPLOY_ARGS ?=
DEPLOY := $(VENV)/bin/python infra/deploy
TARGETS := --regions "$(REGIONS)" --bucket-prefix "$(ARTIFACT_BUCKET_PREFIX)"
EMULATOR := tests/harness/with-emulator.sh
# The venv first on PATH: cargo-lambda and the zig it builds with live there.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# make bench: Cloud Custodian in its own venv so its pins cannot disturb ours
BENCH_VENV := .venv-bench
BENCH_REQUIREMENTS := bench/requirements.txt
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_ARGS ?=
# make fuzz / make stress. Where cargo builds (CARGO_TARGET_DIR, build.target-dir or target/), asked when needed.
TARGET_DIR = $(shell cargo metadata --format-version 1 --no-deps | $(PYTHON) -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
CARGO_FUZZ_VERSION := 0.13.1
CARGO_FUZZ := $(CURDIR)/.tools/bin/cargo-fuzz
FUZZ_RUNS ?= 10000000
# The HTML report's browser test (tests/src/browser.rs): Debian's Chromium, pinned to bookworm main's build (only a
# point release replaces it; bookworm-security's builds are replaced within weeks).
CHROMIUM_VERSION ?= 150.0.7871.100-1~deb12u1
CHROMIUM_PACKAGES = chromium=$(CHROMIUM_VERSION) chromium-common=$(CHROMIUM_VERSION)
BURST ?= 1000

.PHONY: help setup lint-setup browser-setup demo test check build-dev build package publish lint deploy deploy-organization clean fuzz-setup fuzz burst stress bench-setup bench bench-profile

help:
	@echo "make demo   - run the whole flow against a local AWS emulator and print what happened"
	@echo "make test   - format check, clippy, all tests (unit, emulator, end to end)"
	@echo "make setup  - only the pinned Python tools in $(VENV)/ (moto, cargo-lambda, cfn-lint)"
	@echo "make browser-setup - Debian's chromium, pinned, for the HTML report's browser test (apt-get)"
	@echo "make package - release Lambda zips (x86_64, reproducible) and the template in dist/, with their sizes"
	@echo "make publish - artifact buckets <prefix>-<region> (REGIONS, ARTIFACT_BUCKET_PREFIX) and the uploads"
	@echo "make deploy  - this account's stack in every region of REGIONS (README, Deploy)"
	@echo "make deploy-organization - the StackSet for OU_IDS x REGIONS and the management account's stack"
	@echo "make lint   - cfn-lint, checkov and the IAM lint on infra/ and dist/"
	@echo "make bench  - side by side with Cloud Custodian: per event cold/warm, backfill of 10,000 resources, the"
	@echo "              organization (50 accounts x 2 regions, vs c7n-org), artifact size; prints tables, writes"
	@echo "              bench/results.json (not part of make test)"
	@echo "make stress - make fuzz (10M executions of the event parser, nightly + libFuzzer) and make burst"
	@echo "              (1,000 creation events through the real tagger with faults injected)"

setup: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r $(REQUIREMENTS)
	touch $@

lint-setup: $(LINT_STAMP)

# apt-get as root, or through sudo; once more after `apt-get update` when the package lists do not hold the pin. Only an
# installed package counts (a removed one keeps its version in dpkg's status, with its configuration files).
browser-setup:
	@have=$$(dpkg-query -W -f='$${Status} $${Version}' chromium 2>/dev/null || true); \
	if [ "$$have" != "install ok installed $(CHROMIUM_VERSION)" ]; then \
	  sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  install="$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --allow-downgrades"; \
	  echo "installing Debian's chromium $(CHROMIUM_VERSION) (have: $${have:-none})"; \
	  $$install $(CHROMIUM_PACKAGES) >/dev/null \
	  || { $$sudo apt-get update -q >/dev/null && $$install $(CHROMIUM_PACKAGES) >/dev/null; } \
	  || { echo "chromium $(CHROMIUM_VERSION) could not be installed: set CHROMIUM_VERSION to one that"; \
	       echo "'apt-cache policy chromium' offers"; exit 2; }; \
	fi

# checkov has its own venv so that its pins cannot disturb moto's.
$(LINT_STAMP): $(LINT_REQUIREMENTS)
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install --disable-pip-version-check -q -r $(LINT_REQUIREMENTS)
	touch $@

lint: setup lint-setup
	$(VENV)/bin/cfn-lint infra/*.yaml $(wildcard dist/*.yaml)
	$(LINT_VENV)/bin/checkov -d infra --framework cloudformation --skip-download --compact --quiet
	$(LINT_VENV)/bin/python tests/infra/iam_lint.py infra/*.yaml $(wildcard dist/*.yaml)
	$(LINT_VENV)/bin/python -m unittest discover -s tests/infra -p 'lint_test_*.py'

# Debug builds of everything, and the Lambda binaries exactly as `cargo lambda watch` runs them. `--bin X` in this
# virtual workspace filters targets of every member, so features resolve for all members' normal dependencies; the
# README's `cargo run -q --bin superwerker-backup` shares this build, where `-p superwerker-backup` (one package's
# features) compiled every SDK crate once more (measured: about 8 minutes of the infra tests, 2026-12-07).
build-dev:
	cargo build --workspace --all-targets
	for bin in $(LAMBDAS); do cargo build --bin $$bin; done

check:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

# The release artifacts are built once, first: the lint reads dist/ and the deploy tests publish it.
test: setup browser-setup check package lint build-dev
	$(EMULATOR) --lambda-watch -- cargo test --workspace
	$(EMULATOR) -- $(VENV)/bin/python -m unittest discover -s tests/infra -v
	$(VENV)/bin/python -m unittest discover -s tests/harness -p 'test_*.py' -v

demo: setup build-dev
	$(EMULATOR) --lambda-watch -- cargo run -q -p superwerker-backup-e2e --bin demo

# Release binaries (cargo lambda, x86_64) as reproducible zips, plus the template, in dist/ (infra/deploy/package.py).
# Honours CARGO_TARGET_DIR: the binaries are found where cargo put them.
package: setup
	cargo lambda build --release $(addprefix --bin ,$(LAMBDAS))
	$(DEPLOY) package

build: package

publish: package
	$(DEPLOY) publish $(TARGETS) $(PUBLISH_ARGS)

deploy: publish
	$(DEPLOY) deploy $(TARGETS) --stack-name "$(STACK)" --bootstrap "$(BOOTSTRAP)" --backup-scope "$(BACKUP_SCOPE)" \
	  $(DEPLOY_ARGS)

deploy-organization: publish
	@test -n "$(OU_IDS)" || { echo "set OU_IDS=ou-xxxx-yyyyyyyy,... (the OUs to deploy to; the root r-xxxx for all)"; exit 2; }
	$(DEPLOY) deploy-organization $(TARGETS) --ou-ids "$(OU_IDS)" --call-as "$(CALL_AS)" --stack-name "$(STACK)" \
	  --bootstrap "$(BOOTSTRAP)" --backup-scope "$(BACKUP_SCOPE)" --alerts "$(ALERTS)" $(DEPLOY_ARGS)

bench-setup: $(BENCH_STAMP)

$(BENCH_STAMP): $(BENCH_REQUIREMENTS)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --disable-pip-version-check -q -r $(BENCH_REQUIREMENTS)
	touch $@

bench: setup bench-setup package
	cargo build --release -p superwerker-backup
	$(EMULATOR) -- $(BENCH_VENV)/bin/python bench/bench.py --tagger dist/backup-tagger.zip \
	  --backfill dist/backup-backfill.zip --cli "$(TARGET_DIR)/release/superwerker-backup" $(BENCH_ARGS)

# What the release profile buys (compiles every dependency a second time): writes bench/profile-effect.json.
bench-profile: setup bench-setup
	bench/profile_effect.sh

# cargo-fuzz, pinned, installed into .tools/ (not by hand); the fuzz target builds with the nightly toolchain.
fuzz-setup: $(CARGO_FUZZ)

$(CARGO_FUZZ):
	cargo install --locked --root .tools cargo-fuzz --version $(CARGO_FUZZ_VERSION)

# The seed corpus (real fixtures) is read-only; new inputs go to target/fuzz-corpus, outside the tracked tree.
fuzz: fuzz-setup
	mkdir -p $(TARGET_DIR)/fuzz-corpus
	cd crates/domain && PATH="$(CURDIR)/.tools/bin:$$PATH" cargo +nightly fuzz run classify $(TARGET_DIR)/fuzz-corpus fuzz/corpus/classify \
	  -- -dict=fuzz/classify.dict -runs=$(FUZZ_RUNS) -max_len=65536 -print_final_stats=1 2>&1 \
	  | tee $(TARGET_DIR)/fuzz-classify.log | grep -E "^(#[0-9]+ +(INITED|DONE|pulse)|Done|stat::|==|SUMMARY|artifact)" || true
	@grep -q "^Done $(FUZZ_RUNS) runs" $(TARGET_DIR)/fuzz-classify.log || { echo "fuzz run did not complete (see $(TARGET_DIR)/fuzz-classify.log)"; exit 1; }

burst: setup build-dev
	$(EMULATOR) --lambda-watch -- cargo run -q -p superwerker-backup-e2e --bin burst -- $(BURST)

stress: fuzz burst

clean:
	cargo clean
	rm -rf $(VENV) $(LINT_VENV) dist
