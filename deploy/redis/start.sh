#!/bin/sh
# Start Redis with one ACL user from the environment and the default user off, so no client
# gets in without the password. The ACL file holds the password's SHA-256, not the password.
#   REDIS_USER, REDIS_PASSWORD   the user the app logs in as (redis://USER:PASSWORD@host/db)
#   REDIS_ACL_FILE               where to write the ACL file (default /tmp/users.acl)
# Arguments are passed on to redis-server. In the official image this runs as root and hands
# over to the image's entrypoint, which drops to the redis user.
set -eu
: "${REDIS_USER:?REDIS_USER is not set}"
: "${REDIS_PASSWORD:?REDIS_PASSWORD is not set}"
acl_file="${REDIS_ACL_FILE:-/tmp/users.acl}"
umask 077
digest=$(printf '%s' "$REDIS_PASSWORD" | sha256sum | cut -d ' ' -f 1)
# Celery and Flower need every data command and pub/sub; none needs the admin commands
printf 'user default off\nuser %s on #%s ~* &* +@all -@admin\n' "$REDIS_USER" "$digest" \
  > "$acl_file"
if command -v docker-entrypoint.sh >/dev/null 2>&1; then
  chown redis:redis "$acl_file"
  exec docker-entrypoint.sh redis-server --aclfile "$acl_file" "$@"
fi
exec redis-server --aclfile "$acl_file" "$@"
