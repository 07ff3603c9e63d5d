#!/usr/bin/env bash
# The whole test suite: `npm test`. Prepares what the tests need (as root it installs and starts
# the Docker engine, docker-compose and Chromium when missing), builds the offline test images,
# then runs lint + typecheck, unit tests, integration tests on the real engine, and Playwright e2e
# in Chromium. Ends with one line: "N passed, N failed" (totals of every suite).
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-results
export SCALEDECK_IMAGES=test

step() { printf '\n==== %s\n' "$*"; }

step "prepare: Docker engine, docker-compose, Chromium"
bash scripts/ensure-docker.sh || { echo "The Docker engine is required for the integration and e2e tests."; echo "0 passed, 1 failed"; exit 1; }
if ! command -v docker-compose >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive; apt-get -o DPkg::Lock::Timeout=300 update -qq && apt-get -o DPkg::Lock::Timeout=300 install -y -qq docker-compose >/dev/null
fi
bash scripts/ensure-chromium.sh || { echo "Chromium is required for the e2e tests."; echo "0 passed, 1 failed"; exit 1; }
# openssl: the balancer's self-signed certificates; ssh: the OpenSSH client the ssh bench compares with.
if { ! command -v openssl >/dev/null 2>&1 || ! command -v ssh >/dev/null 2>&1; } && [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive; apt-get -o DPkg::Lock::Timeout=300 update -qq && apt-get -o DPkg::Lock::Timeout=300 install -y -qq openssl openssh-client >/dev/null
fi

step "prepare: offline test images (npm run test-images)"
bash scripts/test-images.sh || { echo "Building the test images failed."; echo "0 passed, 1 failed"; exit 1; }

step "prepare: build renderer and Node bundles"
npm run --silent build || { echo "The build failed."; echo "0 passed, 1 failed"; exit 1; }

rm -f test-results/*.json
step "checks: lint and typecheck"
checks_failed=0
npm run --silent lint || checks_failed=$((checks_failed + 1))
npm run --silent typecheck || checks_failed=$((checks_failed + 1))
printf '{"passed": %d, "failed": %d}\n' $((2 - checks_failed)) "$checks_failed" > test-results/checks.json

step "unit tests"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=test-results/unit.json

step "API node template tests (real Postgres and Redis containers)"
[ -f backend-template/package-lock.json ] && npm ci --prefix backend-template --no-audit --no-fund --loglevel=error
npx vitest run --project template --reporter=default --reporter=json --outputFile.json=test-results/template.json

step "integration tests (real Docker engine)"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=test-results/integration.json

step "e2e tests (Playwright, Chromium, web mode)"
PLAYWRIGHT_JSON_OUTPUT_NAME=test-results/e2e.json npx playwright test --reporter=list,json

step "summary"
node scripts/summarize-tests.mjs test-results
