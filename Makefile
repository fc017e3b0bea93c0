# The two set-up commands from the README: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
NODE_BIN := node_modules/.bin
SALESDASH := ./bin/salesdash.js

.PHONY: install run test bench soak typecheck web schema schema-check

# npm ci only when the lock file changed since the last install.
node_modules/.installed: package-lock.json package.json
	npm ci --no-audit --no-fund
	touch $@

install: node_modules/.installed

web: install
	$(NODE_BIN)/tsx web/build.ts

# Embedded PostgreSQL (or DATABASE_URL), migrations, demo data if empty, RFM refresh, model, dashboard on :5000.
run: web
	$(SALESDASH) demo

typecheck: install
	$(NODE_BIN)/tsc --noEmit

test: web typecheck
	$(NODE_BIN)/tsx scripts/with-test-db.ts $(NODE_BIN)/tap

# SCALE customers (default 1,000,000); writes bench/results/latest.md and latest.json.
bench: web
	$(NODE_BIN)/tsx bench/run.ts

soak: web
	SOAK_SECONDS=$${SOAK_SECONDS:-600} $(NODE_BIN)/tsx scripts/with-test-db.ts $(NODE_BIN)/tap test/reliability/*.test.ts

# db/schema.sql is generated from the migrations (review its diff with each migration). SCHEMA_SERVER_URL
# names a server whose major version matches the pg_dump on PATH (the embedded package ships no pg_dump).
schema: install
	$(NODE_BIN)/tsx scripts/schema.ts write

schema-check: install
	$(NODE_BIN)/tsx scripts/schema.ts check
