#!/usr/bin/env bash
# docker/standin-images.sh - stand-ins for the Dockerfile's base images, for checking it with podman
# where neither Docker Hub nor a Docker engine is at hand (run as root; e2e ContainerIT runs it).
#
#   base         a debootstrap --variant=minbase of Debian 12 from this machine's apt mirror
#   build        base + this machine's JDK >= 21 and the Maven of ./mvnw   (BUILD_IMAGE, JRE_IMAGE)
#   moodle-base  base + what our entrypoint touches of Bitnami's image: a fake entrypoint.sh (it
#                "persists" a file into /bitnami/moodle, then execs the CMD), a fake run.sh (runs
#                until SIGTERM, then exits 0) and the /bitnami/moodle directory          (MOODLE_IMAGE)
#
# Prints the build arguments for `podman build` on stdout, one per line (MOODLE_IMAGE=..., ...);
# progress goes to stderr. Exit 0 done, 1 failed (says why).
# Cached between runs on the same machine, outside the repository: the debootstrap tarball in
# $SIDECAR_STANDIN_CACHE (default /var/cache/openai-moodle-sidecar), the images in podman's storage,
# rebuilt only when their inputs (this script, the JDK, Maven, the tarball) change.
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cache_dir=${SIDECAR_STANDIN_CACHE:-/var/cache/openai-moodle-sidecar}
base_tar=$cache_dir/bookworm-minbase.tar
prefix=localhost/openai-sidecar-standin
work=""

say() { printf 'standin-images: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
cleanup() { [ -z "$work" ] || rm -rf --one-file-system "$work"; }
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, podman's root storage)"
for tool in podman debootstrap tar sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (./run-tests installs it: apt-get install podman debootstrap)"
done
# shellcheck source=shell/lib/find-java.sh
. "$repo/shell/lib/find-java.sh"
sidecar_find_java || die "no JDK >= 21 for the stand-in build image"
maven_bin=$(find "$HOME/.m2/wrapper/dists" -path '*/bin/mvn' -print -quit 2>/dev/null || true)
if [ -z "$maven_bin" ]; then
    (cd "$repo" && ./mvnw -q --version >/dev/null) || die "./mvnw could not fetch Maven for the stand-in build image"
    maven_bin=$(find "$HOME/.m2/wrapper/dists" -path '*/bin/mvn' -print -quit)
fi
maven_home=${maven_bin%/bin/mvn}
work=$(mktemp -d /tmp/openai-sidecar-standin.XXXXXX)

# The Debian mirror this machine's apt uses (deb822 .sources first, then one-line .list files).
debian_mirror() {
    local mirror
    mirror=$(grep -hE '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}' || true)
    [ -n "$mirror" ] || mirror=$(grep -hE '^deb .*/debian/? bookworm' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | head -n1 | awk '{print $2}' || true)
    echo "${mirror:-http://deb.debian.org/debian}"
}

if [ ! -s "$base_tar" ]; then
    mirror=$(debian_mirror)
    say "debootstrap --variant=minbase bookworm from $mirror (once; cached in $base_tar)"
    mkdir -p "$cache_dir"
    if ! timeout 600 debootstrap --variant=minbase bookworm "$work/base" "$mirror" >"$work/debootstrap.log" 2>&1; then
        tail -n 5 "$work/debootstrap.log" >&2
        die "debootstrap from $mirror failed (is the mirror reachable?)"
    fi
    tar -C "$work/base" -cf "$base_tar.partial" . && mv "$base_tar.partial" "$base_tar"
    rm -rf --one-file-system "$work/base"
fi

# image NAME KEY CONTEXT: builds CONTEXT/Containerfile as NAME unless NAME already carries KEY.
image() {
    local name=$1 key=$2 context=$3
    if [ "$(podman image inspect --format '{{index .Labels "org.openaimoodle.standin"}}' "$name" 2>/dev/null)" = "$key" ]; then
        say "$name: cached"
        return
    fi
    say "$name: building"
    printf 'LABEL org.openaimoodle.standin=%s\n' "$key" >>"$context/Containerfile"
    if ! podman build --isolation chroot --layers=false -q -t "$name" "$context" >"$context.log" 2>&1; then
        tail -n 20 "$context.log" >&2
        die "stand-in image $name does not build"
    fi
}

self_key=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
base_key=$self_key-$(stat -c %Y-%s "$base_tar")
base=$prefix/base:latest
if [ "$(podman image inspect --format '{{index .Labels "org.openaimoodle.standin"}}' "$base" 2>/dev/null)" != "$base_key" ]; then
    say "$base: importing $base_tar"
    podman import -q --change "LABEL org.openaimoodle.standin=$base_key" "$base_tar" "$base" >/dev/null \
        || die "podman import of $base_tar failed"
else
    say "$base: cached"
fi

mkdir -p "$work/build"
cat >"$work/build/Containerfile" <<EOF
FROM $base
COPY jdk /opt/java/openjdk
COPY maven /usr/share/maven
RUN ln -s /usr/share/maven/bin/mvn /usr/bin/mvn
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EOF
build_key=$base_key-$(cat "$SIDECAR_JAVA_HOME/release" "$work/build/Containerfile" | sha256sum | cut -c1-16)-${maven_home##*/}
if [ "$(podman image inspect --format '{{index .Labels "org.openaimoodle.standin"}}' "$prefix/build:latest" 2>/dev/null)" != "$build_key" ]; then
    cp -a "$SIDECAR_JAVA_HOME" "$work/build/jdk"
    # Debian links the JDK's cacerts to /etc/ssl/certs/java/: the stand-in gets the files themselves.
    while IFS= read -r link; do
        cp --remove-destination -L "$(readlink -f "$link")" "$link"
    done < <(find "$work/build/jdk" -type l -lname '/*')
    cp -a "$maven_home" "$work/build/maven"
fi
image "$prefix/build:latest" "$build_key" "$work/build"

mkdir -p "$work/moodle"
cat >"$work/moodle/entrypoint.sh" <<'EOF'
#!/bin/bash
# Stand-in for Bitnami's entrypoint: its setup persists Moodle into the volume, then execs the CMD.
touch /bitnami/moodle/config.php
exec "$@"
EOF
cat >"$work/moodle/run.sh" <<'EOF'
#!/bin/bash
# Stand-in for Bitnami's run.sh (Apache in the foreground): runs until SIGTERM, then exits 0.
trap 'echo "moodle stand-in: stopping"; exit 0' TERM
echo "moodle stand-in: running"
sleep infinity &
wait
EOF
cat >"$work/moodle/Containerfile" <<EOF
FROM $base
COPY --chmod=0755 entrypoint.sh run.sh /opt/bitnami/scripts/moodle/
RUN mkdir -p /bitnami/moodle && chmod 0777 /bitnami/moodle
CMD ["/opt/bitnami/scripts/moodle/run.sh"]
EOF
image "$prefix/moodle-base:latest" "$base_key" "$work/moodle"

printf '%s\n' "MOODLE_IMAGE=$prefix/moodle-base:latest" "BUILD_IMAGE=$prefix/build:latest" "JRE_IMAGE=$prefix/build:latest"
