#!/usr/bin/env bash
# Brings Trove up on this host with the embedded defaults: installs what it needs, prepares
# the state store in ./data (or $TROVE_DATA_DIR), creates an admin and a demo user, prints
# how to reach it, and runs `trove serve` in the foreground (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

export TROVE_DATA_DIR="${TROVE_DATA_DIR:-$PWD/data}"
host="${TROVE_HOST:-127.0.0.1}"
port="${TROVE_PORT:-8779}"
mkdir -p "$TROVE_DATA_DIR"


# Credentials are made once and kept in openrc files readable by root alone.
password_of() { [ -f "$1" ] && sed -n 's/^export OS_PASSWORD=//p' "$1" || true; }
admin_password=$(password_of "$TROVE_DATA_DIR/admin-openrc")
demo_password=$(password_of "$TROVE_DATA_DIR/demo-openrc")
[ -n "$admin_password" ] || admin_password=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
[ -n "$demo_password" ] || demo_password=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')

TROVE_ADMIN_PASSWORD="$admin_password" bin/trove manage bootstrap >/dev/null
bin/trove manage project-list | awk 'NR>2 {print $2}' | grep -qx demo || bin/trove manage project-create demo --description "Demo tenant" >/dev/null
if bin/trove manage user-list | awk 'NR>2 {print $2}' | grep -qx demo; then
  TROVE_USER_PASSWORD="$demo_password" bin/trove manage user-password demo >/dev/null
else
  TROVE_USER_PASSWORD="$demo_password" bin/trove manage user-create demo --project demo --role member >/dev/null
fi

write_openrc() { # user password project
  (umask 077; cat > "$TROVE_DATA_DIR/$1-openrc") <<RC
export OS_AUTH_URL=http://$host:$port/v3
export OS_IDENTITY_API_VERSION=3
export OS_USERNAME=$1
export OS_PASSWORD=$2
export OS_PROJECT_NAME=$3
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
RC
}
write_openrc admin "$admin_password" admin
write_openrc demo "$demo_password" demo

cat <<MSG

Trove API:      http://$host:$port  (identity: http://$host:$port/v3, OpenAPI: http://$host:$port/openapi.json)
State store:    $TROVE_DATA_DIR/trove.db
Admin:          user admin, project admin, password $admin_password   (source $TROVE_DATA_DIR/admin-openrc)
Demo tenant:    user demo,  project demo,  password $demo_password   (source $TROVE_DATA_DIR/demo-openrc)
The trove CLI:  export PATH="$PWD/bin:\$PATH"; source $TROVE_DATA_DIR/demo-openrc; trove create shop db.small --size 1 --wait

MSG
exec bin/trove serve --host "$host" --port "$port"
