#!/usr/bin/env bash
# The original guide's "restart the sidecar" command, kept for administrators: sidecarctl start.
exec "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/sidecarctl" start "$@"
