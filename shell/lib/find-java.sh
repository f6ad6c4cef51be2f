# shellcheck shell=bash
# Finds a JDK >= 21 for the launchers, the Maven wrapper and run-tests. Source it, then call
# `sidecar_find_java`: it sets SIDECAR_JAVA (the java binary) and SIDECAR_JAVA_HOME, or prints
# what to do on stderr and returns 1.
#
# Order: $JAVA_HOME, then `java` on $PATH, then the newest JDK under /usr/lib/jvm (or
# $SIDECAR_JVM_DIR). Versions come from each JDK's `release` file, so no JVM is started: the
# launcher of stdio mode runs once per fallback request and must stay cheap.

SIDECAR_MIN_JAVA=${SIDECAR_MIN_JAVA:-21}

# Prints the feature version (17, 21, 25, ...) of the JDK whose home is $1, or nothing.
sidecar_java_feature() {
    local release="$1/release" line version
    [ -r "$release" ] || return 1
    line=$(grep -m1 '^JAVA_VERSION=' "$release") || return 1
    version=${line#JAVA_VERSION=}
    version=${version//\"/}
    version=${version%%[.+-]*}
    [ "$version" = 1 ] && version=8
    case "$version" in
        ''|*[!0-9]*) return 1 ;;
    esac
    printf '%s\n' "$version"
}

# Succeeds when $1 is a JDK/JRE home whose version is at least the minimum.
sidecar_java_ok() {
    local home=$1 feature
    [ -x "$home/bin/java" ] || return 1
    feature=$(sidecar_java_feature "$home") || return 1
    [ "$feature" -ge "$SIDECAR_MIN_JAVA" ]
}

sidecar_find_java() {
    local candidate path_java jvm_dir best="" best_feature=0 feature tried=()
    if [ -n "${JAVA_HOME:-}" ]; then
        tried+=("JAVA_HOME=$JAVA_HOME")
        if sidecar_java_ok "$JAVA_HOME"; then
            best=$JAVA_HOME
        fi
    fi
    if [ -z "$best" ] && path_java=$(command -v java 2>/dev/null); then
        candidate=$(readlink -f "$path_java")
        candidate=${candidate%/bin/java}
        tried+=("PATH java=$candidate")
        if sidecar_java_ok "$candidate"; then
            best=$candidate
        fi
    fi
    if [ -z "$best" ]; then
        jvm_dir=${SIDECAR_JVM_DIR:-/usr/lib/jvm}
        tried+=("$jvm_dir/*")
        for candidate in "$jvm_dir"/*; do
            if [ ! -d "$candidate" ] || [ -L "$candidate" ]; then continue; fi
            feature=$(sidecar_java_feature "$candidate") || continue
            if [ "$feature" -ge "$SIDECAR_MIN_JAVA" ] && [ "$feature" -gt "$best_feature" ] \
                && [ -x "$candidate/bin/java" ]; then
                best=$candidate
                best_feature=$feature
            fi
        done
    fi
    if [ -z "$best" ]; then
        printf 'openai-moodle-sidecar: no JDK %s or newer found (tried: %s).\n' \
            "$SIDECAR_MIN_JAVA" "${tried[*]}" >&2
        printf 'Install a JDK 21 or newer (e.g. Eclipse Temurin 21 or 25) and set JAVA_HOME to it.\n' >&2
        return 1
    fi
    SIDECAR_JAVA_HOME=$best
    SIDECAR_JAVA=$best/bin/java
    export SIDECAR_JAVA_HOME SIDECAR_JAVA
}
