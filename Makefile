# The two set-up commands from the README: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
NODE_BIN := node_modules/.bin
SALESDASH := ./bin/salesdash.js

.PHONY: install run test bench soak typecheck web schema

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

# Regenerates the committed db/schema.sql (review its diff with each migration). Needs a pg_dump of the
# server's major version or newer on PATH (the embedded package ships none): set DUMP_DATABASE_URL to a
# scratch database on such a server.
schema: install
	test -n "$$DUMP_DATABASE_URL" || { echo "set DUMP_DATABASE_URL to an empty scratch database"; exit 2; }
	$(NODE_BIN)/tsx -e "import {migrate} from './db/migrate.ts'; migrate(process.env.DUMP_DATABASE_URL)"
	$(NODE_BIN)/dbmate --url "$$DUMP_DATABASE_URL" --schema-file db/schema.sql dump
