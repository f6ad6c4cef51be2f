# shellcheck shell=bash
# JVM options of each role, in one place. Source it, then call `sidecar_jvm_opts ROLE HOME`
# (ROLE: worker-http, worker-stdio or supervisor; HOME: the sidecar home). It fills the array
# SIDECAR_JVM_OPTS. SIDECAR_WORKER_JAVA_OPTS / SIDECAR_SUPERVISOR_JAVA_OPTS replace the defaults;
# SIDECAR_JAVA_OPTS is appended to every role.

sidecar_jvm_opts() {
    local role=$1 home=$2 defaults custom
    case "$role" in
        supervisor)
            defaults="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx24m -Xss256k"
            custom=${SIDECAR_SUPERVISOR_JAVA_OPTS:-}
            ;;
        worker-http|worker-stdio)
            defaults="-XX:+UseSerialGC -Xss512k"
            custom=${SIDECAR_WORKER_JAVA_OPTS:-}
            ;;
        *)
            echo "sidecar_jvm_opts: unknown role $role" >&2
            return 1
            ;;
    esac
    : "$home"
    # JVM warnings must never reach stdout: in stdio mode stdout carries only JSON replies.
    # shellcheck disable=SC2206,SC2034  # word splitting is intended; the caller reads the array
    SIDECAR_JVM_OPTS=(-Xlog:all=warning:stderr ${custom:-$defaults} ${SIDECAR_JAVA_OPTS:-})
}
