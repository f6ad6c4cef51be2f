#!/usr/bin/env bash
# Run by cron every 5 minutes (/etc/cron.d/openai-sidecar): `sidecarctl check`, which repairs a
# missing or unhealthy sidecar. cron starts jobs with an empty environment, so a supervisor that
# cron had to start again would lack OPENAI_API_KEY and the rest; the container entrypoint saves
# the sidecar's variables for exactly this (mode 0600, owned by the sidecar user).
set -uo pipefail

env_file=${SIDECAR_SAVED_ENV:-/opt/openai-sidecar/var/container.env}
if [ -r "$env_file" ]; then
    # shellcheck source=/dev/null
    . "$env_file"
fi
exec /usr/local/bin/sidecarctl check "$@"
