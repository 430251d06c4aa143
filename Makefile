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
LAMBDAS := backup-tagger backup-backfill backup-bootstrap
# make deploy
STACK ?= superwerker-backup
REGION ?= $(AWS_REGION)
BOOTSTRAP ?= false
BACKUP_SCOPE ?= organization
BACKUP_REGIONS ?=
SWEEP_REGIONS ?=
EMULATOR := tests/harness/with-emulator.sh
# The venv first on PATH: cargo-lambda and the zig it builds with live there.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# make bench: Cloud Custodian in its own venv so its pins cannot disturb ours
BENCH_VENV := .venv-bench
BENCH_REQUIREMENTS := bench/requirements.txt
BENCH_STAMP := $(BENCH_VENV)/.installed
BENCH_ARGS ?=
# make fuzz / make stress
CARGO_FUZZ_VERSION := 0.13.1
CARGO_FUZZ := $(CURDIR)/.tools/bin/cargo-fuzz
FUZZ_RUNS ?= 10000000
BURST ?= 1000

.PHONY: help setup lint-setup demo test check build-dev build lint deploy deploy-organization clean fuzz-setup fuzz burst stress bench-setup bench bench-profile

help:
	@echo "make demo   - run the whole flow against a local AWS emulator and print what happened"
	@echo "make test   - format check, clippy, all tests (unit, emulator, end to end)"
	@echo "make setup  - only the pinned Python tools in $(VENV)/ (moto, cargo-lambda, cfn-lint)"
	@echo "make build  - release Lambda zips (cargo lambda build --release, x86_64) and their sizes"
	@echo "make lint   - cfn-lint and checkov on infra/"
	@echo "make deploy - deploy infra/template.yaml with the SAM CLI (needs real AWS; see README, Deploy)"
	@echo "make bench  - side by side with Cloud Custodian: per event cold/warm, backfill of 10,000 resources,"
	@echo "              artifact size; prints a table, writes bench/results.json (not part of make test)"
	@echo "make stress - make fuzz (10M executions of the event parser, nightly + libFuzzer) and make burst"
	@echo "              (1,000 creation events through the real tagger with faults injected)"

setup: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r $(REQUIREMENTS)
	touch $@

lint-setup: $(LINT_STAMP)

# checkov has its own venv so that its pins cannot disturb moto's.
$(LINT_STAMP): $(LINT_REQUIREMENTS)
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/pip install --disable-pip-version-check -q -r $(LINT_REQUIREMENTS)
	touch $@

lint: setup lint-setup
	$(VENV)/bin/cfn-lint infra/*.yaml
	$(LINT_VENV)/bin/checkov -d infra --framework cloudformation --skip-download --compact --quiet

# Debug builds of everything, and the Lambda binaries exactly as `cargo lambda watch` runs them.
build-dev:
	cargo build --workspace --all-targets
	for bin in $(LAMBDAS); do cargo build --bin $$bin; done

check:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

test: setup check lint build-dev
	$(EMULATOR) --lambda-watch -- cargo test --workspace
	$(EMULATOR) -- $(VENV)/bin/python -m unittest discover -s tests/infra -v
	$(VENV)/bin/python -m unittest discover -s tests/harness -p 'test_*.py' -v
	$(MAKE) --no-print-directory build

demo: setup build-dev
	$(EMULATOR) --lambda-watch -- cargo run -q -p superwerker-backup-e2e --bin demo

build: setup
	cargo lambda build --release --output-format zip $(addprefix --bin ,$(LAMBDAS))
	@for bin in $(LAMBDAS); do \
	  zip=target/lambda/$$bin/bootstrap.zip; \
	  test -s $$zip || { echo "missing $$zip"; exit 1; }; \
	  echo "$$bin: $$(stat -c %s $$zip) bytes zipped ($$zip)"; \
	done

deploy: setup
	@command -v sam >/dev/null || { echo "make deploy needs the AWS SAM CLI (pip install aws-sam-cli) and AWS credentials for the target account"; exit 2; }
	sam build --template infra/template.yaml --beta-features
	sam deploy --stack-name $(STACK) --region $(REGION) --resolve-s3 \
	  --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND \
	  --parameter-overrides DeployBootstrap=$(BOOTSTRAP) BackupScope=$(BACKUP_SCOPE) \
	    BackupRegions=$(BACKUP_REGIONS) SweepRegions=$(SWEEP_REGIONS)

deploy-organization: setup
	@command -v sam >/dev/null || { echo "make deploy-organization needs the AWS SAM CLI and management-account credentials"; exit 2; }
	@test -n "$(TEMPLATE_URL)" -a -n "$(OU_IDS)" -a -n "$(HOME_REGION)" || { \
	  echo "set TEMPLATE_URL (S3 URL of the packaged infra/template.yaml), OU_IDS (r-xxxx or OU ids), HOME_REGION"; exit 2; }
	sam deploy --template-file infra/organization.yaml --stack-name $(STACK)-organization --region $(REGION) \
	  --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM \
	  --parameter-overrides TemplateURL=$(TEMPLATE_URL) OrganizationalUnitIds=$(OU_IDS) \
	    HomeRegion=$(HOME_REGION) OtherRegions=$(OTHER_REGIONS)

bench-setup: $(BENCH_STAMP)

$(BENCH_STAMP): $(BENCH_REQUIREMENTS)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --disable-pip-version-check -q -r $(BENCH_REQUIREMENTS)
	touch $@

bench: setup bench-setup build
	$(EMULATOR) -- $(BENCH_VENV)/bin/python bench/bench.py --tagger target/lambda/backup-tagger/bootstrap.zip \
	  --backfill target/lambda/backup-backfill/bootstrap.zip $(BENCH_ARGS)

# What the release profile buys (compiles every dependency a second time): writes bench/profile-effect.json.
bench-profile: setup bench-setup
	bench/profile_effect.sh

# cargo-fuzz, pinned, installed into .tools/ (not by hand); the fuzz target builds with the nightly toolchain.
fuzz-setup: $(CARGO_FUZZ)

$(CARGO_FUZZ):
	cargo install --locked --root .tools cargo-fuzz --version $(CARGO_FUZZ_VERSION)

# The seed corpus (real fixtures) is read-only; new inputs go to target/fuzz-corpus, outside the tracked tree.
fuzz: fuzz-setup
	mkdir -p target/fuzz-corpus
	cd crates/domain && PATH="$(CURDIR)/.tools/bin:$$PATH" cargo +nightly fuzz run classify ../../target/fuzz-corpus fuzz/corpus/classify \
	  -- -dict=fuzz/classify.dict -runs=$(FUZZ_RUNS) -max_len=65536 -print_final_stats=1 2>&1 \
	  | tee $(CURDIR)/target/fuzz-classify.log | grep -E "^(#[0-9]+ +(INITED|DONE|pulse)|Done|stat::|==|SUMMARY|artifact)" || true
	@grep -q "^Done $(FUZZ_RUNS) runs" target/fuzz-classify.log || { echo "fuzz run did not complete (see target/fuzz-classify.log)"; exit 1; }

burst: setup build-dev
	$(EMULATOR) --lambda-watch -- cargo run -q -p superwerker-backup-e2e --bin burst -- $(BURST)

stress: fuzz burst

clean:
	cargo clean
	rm -rf $(VENV) $(LINT_VENV)
