# govcrawl's image: one image for every process (worker `scrapy crawl govsite`, `scrapy exporter`,
# `scrapy seed`, `scrapy templates`, `scrapy report`); the command chooses the role.
#
#   docker build -t govcrawl/worker:0.1.0 .
#
# Two stages: the builder compiles the virtualenv (wheels, and a compiler for any package without
# one); the runtime copies only the virtualenv and the project, and runs as an unprivileged user.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/govcrawl
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY crawler ./crawler
COPY pipelines ./pipelines
COPY scripts ./scripts
RUN /opt/govcrawl/bin/pip install --no-compile . \
    && /opt/govcrawl/bin/python -m compileall -q /opt/govcrawl

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/govcrawl/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GOVCRAWL_ES_SPOOL_DIR=/var/lib/govcrawl/spool
RUN groupadd --system --gid 10001 govcrawl \
    && useradd --system --uid 10001 --gid govcrawl --home-dir /app --shell /usr/sbin/nologin govcrawl \
    && mkdir -p /var/lib/govcrawl/spool \
    && chown -R govcrawl:govcrawl /var/lib/govcrawl
COPY --from=builder /opt/govcrawl /opt/govcrawl
WORKDIR /app
# /app is the project as in a checkout (scrapy.cfg, data files found relative to it), read-only for
# the user that runs it; the virtualenv holds the dependencies.
COPY --chown=root:root scrapy.cfg pyproject.toml ./
COPY --chown=root:root crawler ./crawler
COPY --chown=root:root pipelines ./pipelines
COPY --chown=root:root scripts ./scripts
COPY --chown=root:root deploy/elasticsearch ./deploy/elasticsearch
ENV PYTHONPATH=/app
USER 10001:10001
# The worker's metrics port and the exporter's; both bind to loopback unless told otherwise
# (GOVCRAWL_METRICS_ADDRESS, `scrapy exporter --address`).
EXPOSE 9411 9410
# SIGTERM hands the worker's shards over (in-flight requests finish, Elasticsearch is flushed, leases
# released): give it terminationGracePeriodSeconds / stop_grace_period 60 s (docs/deployment.md).
STOPSIGNAL SIGTERM
ENTRYPOINT ["scrapy"]
CMD ["crawl", "govsite"]
