# The stepgate container action (default target) and the App (target
# serve), built from source. The action: one static binary plus the shells that
# wrapped commands run under (bash for the default `shell: bash`, sh for
# `shell: sh`), CA certificates to reach the App over HTTPS, and git and curl
# because deployment scripts commonly expect them.
#
# The image runs as root on purpose: GitHub mounts the workspace and the
# runner's file-command directory (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) into
# the container owned by the runner's user and starts container actions with
# --workdir /github/workspace; a non-root USER could not write the outputs or
# touch the checked-out files. (GitHub's docs: "Docker actions must be run by
# the default Docker user (root)".)
#
# Build args: GO_VERSION pins the toolchain; VERSION is stamped into
# `stepgate version`. BUILDPLATFORM/TARGETOS/TARGETARCH come from BuildKit
# (buildx in the release workflow cross-compiles instead of emulating; the
# runner's own `docker build` of this file builds for its own platform). No
# cache mounts or syntax directive: the runner builds this in a fresh job
# each time, and the file should build with any BuildKit frontend.

ARG GO_VERSION=1.26
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
ARG TARGETOS=linux
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/stepgate ./cmd/stepgate

# The App (`docker build --target serve .`): the static binary on distroless
# (CA certificates and time zones, no shell), as an unprivileged user. The
# release publishes it as ghcr.io/OWNER/stepgate-serve (release.Dockerfile).
FROM gcr.io/distroless/static-debian12:nonroot AS serve
COPY --from=build /out/stepgate /usr/local/bin/stepgate
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/stepgate", "serve"]

# The container action (the default target: last in this file).
FROM debian:bookworm-slim AS action
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash ca-certificates git curl \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/stepgate /usr/local/bin/stepgate
LABEL org.opencontainers.image.title="stepgate" \
      org.opencontainers.image.description="Per-command human approval for GitHub Actions" \
      org.opencontainers.image.source="https://github.com/stepgate/stepgate"
ENTRYPOINT ["/usr/local/bin/stepgate", "action"]
