# shellcheck shell=bash
# Finds a JDK >= 21 for the launchers, the Maven wrapper and run-tests. Source it, then call
# `sidecar_find_java`: it sets SIDECAR_JAVA (the java binary) and SIDECAR_JAVA_HOME, or prints
# what to do on stderr and returns 1.
#
# Order: $JAVA_HOME, then `java` on $PATH, then the newest JDK under /usr/lib/jvm (or
# $SIDECAR_JVM_DIR). Versions come from each JDK's `release` file, so no JVM is started: the
# launcher of stdio mode runs once per fallback request and must stay cheap. For the same reason only
# bash builtins run here (no subshell, no grep), except one `readlink -f` when $JAVA_HOME is not usable
# and the `java` on $PATH is a symlink or relative (bash cannot read a link by itself).

SIDECAR_MIN_JAVA=${SIDECAR_MIN_JAVA:-21}

# Sets SIDECAR_JAVA_FEATURE to the feature version (17, 21, 25, ...) of the JDK whose home is $1, or
# fails (and leaves it empty) when that home has no readable `release` file with a version.
sidecar_java_feature() {
    local version
    SIDECAR_JAVA_FEATURE=
    sidecar_release_value "$1" JAVA_VERSION || return 1
    version=${SIDECAR_RELEASE_VALUE%%[.+-]*}
    [ "$version" = 1 ] && version=8
    case "$version" in
        ''|*[!0-9]*) return 1 ;;
    esac
    SIDECAR_JAVA_FEATURE=$version
}

# Sets SIDECAR_RELEASE_VALUE to the value of KEY ($2) in the `release` file of the JDK home $1, quotes
# removed (JAVA_VERSION="25.0.3" -> 25.0.3), or fails when the file is unreadable or has no such line.
sidecar_release_value() {
    local line
    SIDECAR_RELEASE_VALUE=
    [ -r "$1/release" ] || return 1
    while IFS= read -r line || [ -n "$line" ]; do
        case "$line" in
            "$2"=*)
                line=${line#"$2"=}
                SIDECAR_RELEASE_VALUE=${line//\"/}
                return 0
                ;;
        esac
    done <"$1/release"
    return 1
}

# Succeeds when $1 is a JDK/JRE home whose version is at least the minimum.
sidecar_java_ok() {
    [ -x "$1/bin/java" ] || return 1
    sidecar_java_feature "$1" || return 1
    [ "$SIDECAR_JAVA_FEATURE" -ge "$SIDECAR_MIN_JAVA" ]
}

# Sets SIDECAR_PATH_JAVA to the first executable `java` on $PATH (what `command -v java` prints, without
# the subshell of `$(...)`), or fails.
sidecar_path_java() {
    local dir dirs
    SIDECAR_PATH_JAVA=
    IFS=: read -r -a dirs <<<"${PATH:-}"
    # A trailing colon is an empty entry too, which `read` drops.
    [ "${PATH:-}" != "${PATH%:}" ] && dirs+=("")
    for dir in "${dirs[@]}"; do
        dir=${dir:-.}
        if [ -f "$dir/java" ] && [ -x "$dir/java" ]; then
            SIDECAR_PATH_JAVA=$dir/java
            return 0
        fi
    done
    return 1
}

sidecar_find_java() {
    local candidate jvm_dir best="" best_feature=0 feature tried=()
    if [ -n "${JAVA_HOME:-}" ]; then
        tried+=("JAVA_HOME=$JAVA_HOME")
        if sidecar_java_ok "$JAVA_HOME"; then
            best=$JAVA_HOME
        fi
    fi
    if [ -z "$best" ] && sidecar_path_java; then
        candidate=$SIDECAR_PATH_JAVA
        # A link (e.g. /usr/bin/java through /etc/alternatives) or a relative PATH entry: resolve it.
        if [ -L "$candidate" ] || [ "${candidate#/}" = "$candidate" ]; then
            candidate=$(readlink -f "$candidate")
        fi
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
            sidecar_java_feature "$candidate" || continue
            feature=$SIDECAR_JAVA_FEATURE
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
