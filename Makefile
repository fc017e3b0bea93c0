# The two set-up commands from the README: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
NODE_BIN := node_modules/.bin
SALESDASH := ./bin/salesdash.js

.PHONY: install run test check-production bench bench-curve soak soak-exports typecheck web schema schema-check

# npm ci only when the lock file changed since the last install. NPM_CI_FLAGS=--omit=dev installs only what
# the commands and the web build need (no test tools): `make run NPM_CI_FLAGS=--omit=dev`. One stamp per kind
# of install, so switching kinds installs again (npm ci removes the other stamp with node_modules).
NPM_CI_FLAGS ?=
empty :=
space := $(empty) $(empty)
INSTALLED := node_modules/.installed$(subst =,-,$(subst $(space),,$(NPM_CI_FLAGS)))

$(INSTALLED): package-lock.json package.json
	npm ci --no-audit --no-fund $(NPM_CI_FLAGS)
	touch $@

install: $(INSTALLED)

web: install
	$(NODE_BIN)/tsx web/build.ts

# Embedded PostgreSQL (or DATABASE_URL), migrations, demo data if empty, RFM refresh, model, dashboard on :5000.
run: web
	$(SALESDASH) demo

typecheck: install
	$(NODE_BIN)/tsc --noEmit

test: web typecheck
	$(NODE_BIN)/tsx scripts/with-test-db.ts $(NODE_BIN)/tap

# The CLI and `make web` from a production-only install in a temporary copy of the checkout (CI runs it after
# `make test`; it is not part of it: a second npm ci and a PostgreSQL of its own take about a minute).
check-production: install
	$(NODE_BIN)/tap test/packaging/production-install.ts

# SCALE customers (default 1,000,000); writes bench/results/latest.md and latest.json.
bench: web
	$(NODE_BIN)/tsx bench/run.ts

# The cost curve: bench/run.ts at each size of CURVE_SCALES (default 250000,1000000,4000000,10000000), one run per
# figure; writes bench/results/curve.md (figures and their growth exponents) and bench/results/curve/<size>.json.
bench-curve: web
	$(NODE_BIN)/tsx bench/curve.ts

# The reliability tests under SOAK_SECONDS (default 600) of load, then, once they pass, the export soak.
soak: web
	SOAK_SECONDS=$${SOAK_SECONDS:-600} $(NODE_BIN)/tsx scripts/with-test-db.ts $(NODE_BIN)/tap test/reliability/*.test.ts
	$(NODE_BIN)/tsx bench/soak.ts

# The export soak alone: bench/soak.ts generates SCALE customers (default 1,000,000) into salesdash_soak (or the
# empty BENCH_DATABASE_URL), then runs export clients of every kind, ordinary clients and refreshes together for
# SOAK_SECONDS (default 600); writes bench/results/soak.md and soak.json. SOAK_REUSE_DATA=1 keeps the data.
soak-exports: web
	$(NODE_BIN)/tsx bench/soak.ts

# db/schema.sql is generated from the migrations (review its diff with each migration). SCHEMA_SERVER_URL
# names a server whose major version matches the pg_dump on PATH (the embedded package ships no pg_dump).
schema: install
	$(NODE_BIN)/tsx scripts/schema.ts write

schema-check: install
	$(NODE_BIN)/tsx scripts/schema.ts check
