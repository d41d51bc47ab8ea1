# Images of a release, built by GoReleaser (dockers_v2 in .goreleaser.yaml)
# from the binaries it already built: the build context holds
# linux/amd64/stepgate and linux/arm64/stepgate. Not for `docker build`
# by hand; ./Dockerfile builds from source.

# The container action: root on purpose (GitHub runs container actions as
# the image's user and mounts the workspace owned by the runner's user; see
# ./Dockerfile), with the shells wrapped commands run under.
FROM debian:bookworm-slim AS action
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash ca-certificates git curl \
 && rm -rf /var/lib/apt/lists/*
ARG TARGETPLATFORM
COPY $TARGETPLATFORM/stepgate /usr/local/bin/stepgate
ENTRYPOINT ["/usr/local/bin/stepgate", "action"]

# The App: a static binary on distroless (CA certificates and time zones,
# no shell, no package manager), as an unprivileged user.
FROM gcr.io/distroless/static-debian12:nonroot AS serve
ARG TARGETPLATFORM
COPY $TARGETPLATFORM/stepgate /usr/local/bin/stepgate
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/stepgate", "serve"]
