# The sandbench emulator in a container. Two stages: the Swift toolchain builds a release binary
# with the Swift runtime linked in; a slim Debian image runs it with what its sandboxes need.
#
#   docker build -t sandbench .            (--build-arg SANDBENCH_IMAGE_PROFILE=full|none for another runtime image)
#   docker run --rm -p 127.0.0.1:8080:8080 \
#       --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#       --security-opt systempaths=unconfined sandbench
#
# bubblewrap makes user, mount and pid namespaces and mounts a fresh /proc: Docker's default seccomp
# and AppArmor profiles and its masked /proc paths forbid that. docs/install.md#in-a-container says
# why each option is needed and what the emulator prints without them.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4-openssl-dev libxml2-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --static-swift-stdlib --product sandbench \
    && install -m 0755 "$(swift build -c release --show-bin-path)/sandbench" /usr/local/bin/sandbench

FROM ${RUNTIME_IMAGE}
# Run time only: the isolation chain (bwrap; prlimit, setpriv, unshare), the sandboxes' interpreters,
# the shared libraries the binary links, and tini to forward signals and reap children as PID 1.
# python3-venv builds the runtime image; media-types gives Python's mimetypes /etc/mime.types, which
# names returned files' types.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        bubblewrap util-linux python3 python3-venv nodejs media-types libcurl4 libxml2 libssl3 ca-certificates tini \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/sandbench /usr/local/bin/sandbench
# The runtime image (pandas, numpy, matplotlib, … as the service preinstalls them; the manifest is
# compiled into the binary) in /var/lib/sandbench/images, where the emulator finds it: `standard`
# (about 800 MB), `full` (adds tensorflow and keras) or `none` (the standard library only).
ARG SANDBENCH_IMAGE_PROFILE=standard
RUN if [ "${SANDBENCH_IMAGE_PROFILE}" != none ]; then \
        sandbench image build --profile "${SANDBENCH_IMAGE_PROFILE}" && rm -rf /root/.cache; \
    fi
EXPOSE 8080
# Root inside the container: the emulator gives each sandbox its own uid and drops to it (setpriv)
# before bubblewrap runs the code.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/sandbench"]
# Published ports reach the container on its own address, so it binds 0.0.0.0: --allow-remote
# requires bubblewrap and a bearer token (pass --auth-token, or read the generated one from the log).
CMD ["emulator", "--host", "0.0.0.0", "--port", "8080", "--allow-remote"]
