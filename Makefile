# Plinth — the two commands: `make up` and `make test`.
SHELL := /bin/bash
DATA_DIR ?= .plinth
PORT ?= 5240
TEST_FILES = $(shell find test -name '*.test.ts' | sort)

.PHONY: up down test lint typecheck deps bench

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.package-lock.json

## Start region+rack on the embedded store with an admin account; prints URL and credentials.
up:
	@DATA_DIR=$(DATA_DIR) PORT=$(PORT) ./scripts/up.sh

## Stop what `make up` started.
down:
	@DATA_DIR=$(DATA_DIR) ./scripts/down.sh

typecheck: deps
	npx tsc --noEmit -p .

lint: deps
	npx eslint .

## The whole suite: types, lint (including the layering rule), then every test on both stores.
test: typecheck lint
	node --import tsx --test --test-concurrency=2 --test-reporter=spec $(TEST_FILES)
