# houseprices serving/training image on Amazon SageMaker's container contract
# (`serve`: nginx :8080 -> gunicorn -> app; `train`: /opt/ml/input -> /opt/ml/model).
# Build: make container-build (podman) or `docker build -t houseprices .`

# ---- build stage: the virtualenv, with pinned wheels only --------------------------------
FROM debian:bookworm-slim AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv libgomp1 \
 && rm -rf /var/lib/apt/lists/*
COPY requirements-serve.lock /tmp/requirements-serve.lock
# An optional CA bundle for pip (HTTPS through a TLS-intercepting proxy) comes in as a build
# secret; it is never stored in a layer.
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps \
      -r /tmp/requirements-serve.lock
COPY pyproject.toml /tmp/src/pyproject.toml
COPY src /tmp/src/src
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps /tmp/src \
 && /opt/venv/bin/pip uninstall -y pip \
 && find /opt/venv -depth -type d -name tests -path '*/site-packages/*/tests' -exec rm -rf {} + \
 && /opt/venv/bin/python -c "import lightgbm, xgboost, houseprices.serve.app, houseprices.serve.training"

# ---- runtime stage -----------------------------------------------------------------------
FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 nginx-light libgomp1 tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /opt/program \
      --shell /usr/sbin/nologin app \
 && install -d -o 10001 -g 10001 /opt/ml/model /opt/ml/output /opt/ml/input/config \
      /opt/ml/input/data/training

COPY --from=build /opt/venv /opt/venv
COPY --chmod=0755 docker/serve docker/train /usr/local/bin/
COPY params.yaml /opt/program/params.yaml
COPY --chown=10001:10001 models/model.joblib models/model.json /opt/ml/model/

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOUSEPRICES_ROOT=/opt/program \
    HOUSEPRICES_SERVE_MODEL_PATH=/opt/ml/model/model.joblib \
    HOUSEPRICES_SERVE_HOST=0.0.0.0 \
    HOUSEPRICES_SERVE_PORT=8080
WORKDIR /opt/program
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/ping', timeout=2).status != 200)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["serve"]

# Last, so that a new build date or revision does not invalidate the layers above.
ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="houseprices" \
      org.opencontainers.image.description="Kaggle House Prices model: SageMaker-contract serve/train image" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/houseprices/houseprices" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
