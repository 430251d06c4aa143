# superwerker-backup — the front door. `make demo` and `make test` set up everything they need.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
REQUIREMENTS := tests/harness/requirements.txt
STAMP := $(VENV)/.installed
EMULATOR := tests/harness/with-emulator.sh
# The venv first on PATH: cargo-lambda and the zig it builds with live there.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help setup demo test check unit build-dev build lint clean

help:
	@echo "make demo   - run the whole flow against a local AWS emulator and print what happened"
	@echo "make test   - format check, clippy, all tests (unit, emulator, end to end)"
	@echo "make setup  - only the pinned Python tools in $(VENV)/ (moto, cargo-lambda, cfn-lint)"
	@echo "make build  - release Lambda binaries (cargo lambda build --release, x86_64)"

setup: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --disable-pip-version-check -q -r $(REQUIREMENTS)
	touch $@

# Debug builds of everything, and the Lambda binaries exactly as `cargo lambda watch` runs them.
build-dev:
	cargo build --workspace --all-targets
	cargo build --bin backup-tagger
	cargo build --bin backup-bootstrap
	cargo build --bin backup-backfill

check:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

test: setup check build-dev
	$(EMULATOR) --lambda-watch -- cargo test --workspace

demo: setup build-dev
	$(EMULATOR) --lambda-watch -- cargo run -q -p superwerker-backup-e2e --bin demo

build: setup
	cargo lambda build --release --bin backup-tagger

clean:
	cargo clean
	rm -rf $(VENV)
