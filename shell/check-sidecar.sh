#!/usr/bin/env bash
# The original guide's "check the sidecar" command, kept for administrators: sidecarctl check.
exec "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/sidecarctl" check "$@"
