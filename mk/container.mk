# The SageMaker-contract serving container (Dockerfile, docker/, scripts/container/).
# `make container-test` is the full proof with podman: base image, build, train inside the
# container, serve, compare with `houseprices predict` on the host.

ENGINE ?= podman
IMAGE ?= localhost/houseprices:dev
MODEL ?= models/model.joblib
SERVE_LOCK := requirements-serve.lock
CONTAINER_SCRIPTS := scripts/container
# Packages the runtime deps pull in that neither serving nor training imports (plotting and
# Parquet): left out of the image to keep it small.
SERVE_LOCK_OMIT := pyarrow plotly matplotlib graphviz contourpy cycler fonttools kiwisolver pillow pyparsing

SYSTEM_PACKAGES += podman runc debootstrap netavark aardvark-dns iptables nginx wrk shellcheck
CI_TARGETS += container-test

# `ENGINE=podman` runs through the project's private store and containers.conf.
ifeq ($(ENGINE),podman)
CONTAINER = . $(CONTAINER_SCRIPTS)/podman-env.sh && hp_podman
CONTAINER_BUILD = . $(CONTAINER_SCRIPTS)/podman-env.sh && hp_build
else
CONTAINER = $(ENGINE)
CONTAINER_BUILD = DOCKER_BUILDKIT=1 $(ENGINE) build
endif

.PHONY: lock-serve
lock-serve: ## Re-resolve requirements-serve.lock (the image's runtime deps, pinned like requirements.lock)
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --quiet --no-header \
	  --constraint requirements.lock $(addprefix --no-emit-package ,$(SERVE_LOCK_OMIT)) \
	  --output-file $(SERVE_LOCK)

.PHONY: serve
serve: $(STAMP) ## Serve models/model.joblib locally on :8080 (nginx -> gunicorn -> app), Ctrl-C stops
	$(HP) serve --model $(MODEL)

.PHONY: container-base
container-base: ## Import debian:bookworm-slim into the private podman store (debootstrap; idempotent)
	$(CONTAINER_SCRIPTS)/base-image.sh >/dev/null

.PHONY: container-model
container-model: $(STAMP)
	@test -f $(MODEL) || { echo "no $(MODEL): training it with the pipeline (make data repro)"; \
	  $(MAKE) --no-print-directory data repro; }

.PHONY: lint-container
lint-container: $(STAMP) ## hadolint on the Dockerfile, shellcheck on the container scripts
	$(BIN)/hadolint Dockerfile
	@command -v shellcheck >/dev/null || { echo "shellcheck is missing: run 'make system-deps'" >&2; exit 1; }
	shellcheck -x $(CONTAINER_SCRIPTS)/*.sh local_test/*.sh docker/serve docker/train

.PHONY: container-build
container-build: container-model lint-container ## Build IMAGE with ENGINE (podman|docker), champion model inside
	@if [ "$(ENGINE)" = podman ]; then $(MAKE) --no-print-directory container-base; fi
	$(CONTAINER_BUILD) \
	  --build-arg VERSION=$$(git describe --always --dirty 2>/dev/null || echo dev) \
	  --build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null || echo unknown) \
	  --build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) \
	  -t $(IMAGE) .

.PHONY: container-smoke
container-smoke: ## Run IMAGE, wait for /ping, POST test.csv, check 1459 predictions, stop it
	ENGINE="$(ENGINE)" IMAGE="$(IMAGE)" $(CONTAINER_SCRIPTS)/smoke.sh

.PHONY: container-test
container-test: container-build ## Full podman proof: train in the container, serve, match `houseprices predict`
	ENGINE="$(ENGINE)" IMAGE="$(IMAGE)" PYTHON="$(BIN)/python" HP="$(HP)" $(CONTAINER_SCRIPTS)/container-test.sh

.PHONY: bench-serve
bench-serve: $(STAMP) ## Benchmark the local stack with wrk: single-row and 1459-row requests -> reports/bench_serve.json
	$(BIN)/python scripts/serve/bench.py --model $(MODEL) --out reports/bench_serve.json

.PHONY: fuzz-serve
fuzz-serve: $(STAMP) ## Fuzz the running stack with >= 1000 bad inputs (hypothesis); fails on any 5xx
	$(BIN)/python scripts/serve/fuzz.py --model $(MODEL) --examples 1500 --min-rejected 1000 --out reports/fuzz_serve.json
