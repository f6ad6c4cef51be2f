# syntax=docker/dockerfile:1
# openai-moodle-sidecar: the sidecar inside the Bitnami Moodle image (default target `moodle`), or
# alone on a JRE (target `sidecar`).
#
#   docker build -t moodle-with-sidecar .                  # Moodle + sidecar
#   docker build --target sidecar -t openai-sidecar .      # the sidecar alone
#
# Base images are build arguments, so a mirror or a pinned digest can be used instead.

# Moodle image the sidecar is added to: Bitnami Moodle 5.0, as in the original compose file.
ARG MOODLE_IMAGE=bitnami/moodle:5.0
# Build stage: Maven 3.9 and a JDK >= 21 (Helidon 4 needs 21; 25 also gives jlink a CDS archive).
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-25
# Base of the `sidecar` target: any JRE >= 21 with JAVA_HOME set.
ARG JRE_IMAGE=eclipse-temurin:25-jre

# ---------------------------------------------------------------------------------------------
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY . .
# The Maven repository is a build cache, not a layer. Tests ran in CI (.ci/run), not here. The AOT
# caches are trained below, in the `runtime` stage, with the runtime that ships (they are bound to the
# JDK build and the jar paths that trained them); the testkit jar is their training's fake upstream.
RUN --mount=type=cache,id=openai-sidecar-m2,target=/root/.m2/repository \
    mvn -B -ntp -pl testkit,worker,supervisor -am package -DskipTests -Daot.skip=true
# The installed layout of docs/internals.md: bin/ with the launchers and bin/lib/, lib/<module>/
# (jars copied with their times: an AOT cache is only used with the very jars that trained it).
RUN set -eu; \
    home=/out/opt/openai-sidecar; \
    install -d "$home/bin/lib" "$home/lib/worker" "$home/lib/supervisor" "$home/var"; \
    install -m 0755 shell/openai-moodle-sidecar shell/sidecarctl shell/start-sidecar.sh \
        shell/check-sidecar.sh shell/test-sidecar.sh docker/cron-check.sh "$home/bin/"; \
    install -m 0755 docker/entrypoint.sh "$home/bin/docker-entrypoint.sh"; \
    install -m 0644 shell/lib/*.sh "$home/bin/lib/"; \
    for module in worker supervisor; do \
        cp -a "$module/target/openai-moodle-sidecar-$module.jar" "$module/target/libs" "$home/lib/$module/"; \
    done; \
    chmod -R a+rX "$home"

# A runtime with only the modules the two jars use (jdeps), plus what jdeps cannot see: elliptic
# curves for TLS to api.openai.com and sun.misc for the libraries that probe for it. With a CDS
# archive, so the stdio fallback starts fast. The launchers find it in /usr/lib/jvm by themselves.
# jlink does not copy JAVA_RUNTIME_VERSION into `release`; the launchers compare it with an AOT
# cache's stamp, so it is added from the JDK that linked it (the same build). The CDS archive for
# heaps over 32 GB (no compressed oops) is dropped: 15 MB this sidecar never uses.
FROM build AS runtime
ARG RUNTIME=/usr/lib/jvm/openai-sidecar-runtime
RUN set -eu; \
    home=/out/opt/openai-sidecar; \
    modules=$(jdeps --ignore-missing-deps --print-module-deps --multi-release 21 \
        "$home"/lib/*/*.jar "$home"/lib/*/libs/*.jar); \
    jlink --add-modules "$modules,jdk.crypto.ec,jdk.unsupported" \
        --strip-java-debug-attributes --no-man-pages --no-header-files --generate-cds-archive \
        --output "$RUNTIME"; \
    grep '^JAVA_RUNTIME_VERSION=' "$JAVA_HOME/release" >>"$RUNTIME/release" || true; \
    rm -f "$RUNTIME/lib/server/classes_nocoops.jsa"; \
    "$RUNTIME/bin/java" -version
# The AOT caches of the three roles, trained by aot/train.sh with the shipped runtime, at the path the
# image installs to (a cache is only used with the very jars and class path that trained it): the
# stdio fallback, the worker and sidecarctl start from them. The fake upstream of the training runs
# on the build JDK (the jlink'd runtime has no jdk.httpserver) and is removed afterwards.
RUN set -eu; \
    cp -a /out/opt/openai-sidecar /opt/openai-sidecar; \
    install -d /opt/openai-sidecar/lib/testkit; \
    cp -a testkit/target/openai-moodle-sidecar-testkit.jar testkit/target/libs /opt/openai-sidecar/lib/testkit/; \
    build_java="$JAVA_HOME/bin/java"; \
    JAVA_HOME="$RUNTIME" SIDECAR_AOT_UPSTREAM_JAVA="$build_java" bash aot/train.sh /opt/openai-sidecar; \
    rm -rf /opt/openai-sidecar/lib/testkit; \
    ls /opt/openai-sidecar/lib/worker/aot/worker-stdio.aot /opt/openai-sidecar/lib/worker/aot/worker-http.aot \
        /opt/openai-sidecar/lib/supervisor/aot/supervisor.aot

# ---------------------------------------------------------------------------------------------
# The sidecar alone, as its own container. It must listen beyond loopback to be reachable from
# Moodle's container: keep it on a private network and never publish its port. SIDECAR_TOKEN keeps
# other clients out, but the unchanged PHP plugin sends no token (and has no stdio fallback here).
FROM ${JRE_IMAGE} AS sidecar
ARG SIDECAR_UID=1001
COPY --from=build /out/opt/openai-sidecar /opt/openai-sidecar
RUN set -eu; \
    ln -s /opt/openai-sidecar/bin/sidecarctl /usr/local/bin/sidecarctl; \
    install -d -m 0755 -o "$SIDECAR_UID" -g 0 /var/log/openai-sidecar; \
    install -d -m 0700 -o "$SIDECAR_UID" -g 0 /run/openai-sidecar
ENV SIDECAR_HOST=0.0.0.0 \
    SIDECAR_RUN_DIR=/run/openai-sidecar \
    SIDECAR_LOG_FILE=/var/log/openai-sidecar/openai-sidecar.log
USER ${SIDECAR_UID}
EXPOSE 8081
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/sidecarctl", "check", "--no-repair"]
# `sidecarctl run` stops gracefully on SIGTERM; run with --init (or tini) to reap strays.
ENTRYPOINT ["/usr/local/bin/sidecarctl", "run"]

# ---------------------------------------------------------------------------------------------
# Default target: Moodle with the sidecar inside, as the PHP plugin expects it.
FROM ${MOODLE_IMAGE} AS moodle
# uid/gid the sidecar runs as: Bitnami's non-root uid. Moodle itself keeps running as before.
ARG SIDECAR_UID=1001
ARG SIDECAR_GID=1001
USER root
# tini (PID 1), logrotate and cron (rotation, health check), curl (test-sidecar.sh). Most are in
# Bitnami's image already; apt-get leaves those alone.
RUN set -eu; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tini logrotate cron curl; \
    rm -rf /var/lib/apt/lists/*
COPY --from=runtime /usr/lib/jvm/openai-sidecar-runtime /usr/lib/jvm/openai-sidecar-runtime
# With the AOT caches trained on that runtime (times preserved: a cache older than its jar is not used).
COPY --from=runtime /opt/openai-sidecar /opt/openai-sidecar
COPY --chmod=0755 docker/sidecarctl /usr/local/bin/sidecarctl
COPY logrotate/openai-sidecar /etc/logrotate.d/openai-sidecar
COPY docker/openai-sidecar.cron /etc/cron.d/openai-sidecar
# The sidecar user (created unless the uid exists), named in the logrotate and cron files. The
# shims go to /usr/local/bin as copies, not links: their sibling sidecarctl is then the
# root-dropping one above.
RUN set -eu; \
    getent group "$SIDECAR_GID" >/dev/null || groupadd --gid "$SIDECAR_GID" openai-sidecar; \
    getent passwd "$SIDECAR_UID" >/dev/null || useradd --uid "$SIDECAR_UID" --gid "$SIDECAR_GID" \
        --no-create-home --home-dir /opt/openai-sidecar/var --shell /usr/sbin/nologin openai-sidecar; \
    user=$(getent passwd "$SIDECAR_UID" | cut -d: -f1); \
    group=$(getent group "$SIDECAR_GID" | cut -d: -f1); \
    sed -i "s/^\( *create 0640\) .*/\1 $user $group/" /etc/logrotate.d/openai-sidecar; \
    sed -i "s/ openai-sidecar / $user /" /etc/cron.d/openai-sidecar; \
    chmod 0644 /etc/logrotate.d/openai-sidecar /etc/cron.d/openai-sidecar; \
    cp /opt/openai-sidecar/bin/start-sidecar.sh /opt/openai-sidecar/bin/check-sidecar.sh \
        /opt/openai-sidecar/bin/test-sidecar.sh /usr/local/bin/; \
    install -d -m 0700 -o "$SIDECAR_UID" -g "$SIDECAR_GID" /run/openai-sidecar /opt/openai-sidecar/var; \
    install -m 0640 -o "$SIDECAR_UID" -g "$SIDECAR_GID" /dev/null /var/log/openai-sidecar.log; \
    mkdir -p /bitnami/moodle
ENV SIDECAR_USER=${SIDECAR_UID} \
    SIDECAR_RUN_DIR=/run/openai-sidecar \
    SIDECAR_LOG_FILE=/var/log/openai-sidecar.log
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/sidecarctl", "check", "--no-repair"]
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/openai-sidecar/bin/docker-entrypoint.sh"]
# Setting ENTRYPOINT clears the base image's CMD: this is Bitnami's.
CMD ["/opt/bitnami/scripts/moodle/run.sh"]
