# syntax=docker/dockerfile:1
# docflow: one image for the API, the workers and the migration job.
#   docker build -t docflow:dev .
#   docker run --rm -p 8080:8080 -e DOCFLOW_POSTGRES_URL=... -e DOCFLOW_MARIADB_DSN=... docflow:dev
# See docs/deploy.md.

# --- build: the Go version go.mod asks for, on Debian 12 like the runtime.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOWORK=off GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -ldflags "-s -w" -o /out/docflow ./cmd/docflow

# --- runtime: Debian 12 slim with what the readers call: pdftotext and
# pdftoppm (poppler-utils), Tesseract with French and English.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-osd curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 docflow \
 && useradd --system --uid 10001 --gid docflow --home-dir /var/lib/docflow --shell /usr/sbin/nologin docflow \
 && install -d -o docflow -g docflow -m 0700 /var/lib/docflow
COPY --from=build /out/docflow /usr/local/bin/docflow
# DataDir holds the page renders' cache (and the files, without S3);
# mount a volume there. Set DOCFLOW_MASTER_KEY rather than letting docflow
# make a key file in it when several replicas run.
ENV DOCFLOW_ADDR=:8080 DOCFLOW_DATA_DIR=/var/lib/docflow TMPDIR=/tmp
WORKDIR /var/lib/docflow
USER 10001:10001
EXPOSE 8080 9090
# /healthz is on the API's port, or on the metrics port of a process that
# serves no API (serve --workers-only with DOCFLOW_METRICS_ADDR).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS "http://127.0.0.1${DOCFLOW_METRICS_ADDR:-$DOCFLOW_ADDR}/healthz" || exit 1
# `docflow serve` by default; other commands as arguments: `migrate`,
# `serve --api-only`, `serve --workers-only`, `keys reencrypt`...
ENTRYPOINT ["docflow"]
CMD ["serve"]
