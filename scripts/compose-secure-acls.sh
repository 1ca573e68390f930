#!/bin/sh
# The users' rights in docker-compose.secure.yml (its `acls` service runs this once the
# nodes are healthy, on every `up`). The users themselves come from the scram-users
# secret, which the first controller commits with the cluster id (--bootstrap-scram-users);
# this script logs in as `admin` (a super user) and makes sure that
#   - the topic `orders` exists (3 partitions, RF 3);
#   - `producer` may write it, idempotently: Write on `orders`, IdempotentWrite on the cluster;
#   - `dashboard` may only read it, in its own group: Read on `orders`, Read on the group `dashboard`.
# Running it again changes nothing (an ACL that exists is a no-op success, the topic is
# only created when missing), so a restart of the compose project never fails on it.
#
# Env: TRIBUTARY_BOOTSTRAP / TRIBUTARY_TLS_CA as for the CLI; SCRAM_USERS_FILE (default
# /run/secrets/scram_users); TRIBUTARY_CLI (default `tributary`); SETUP_WAIT_S (default 60).
set -eu

users_file="${SCRAM_USERS_FILE:-/run/secrets/scram_users}"
cli="${TRIBUTARY_CLI:-tributary}"
wait_s="${SETUP_WAIT_S:-60}"

# admin's line of the users file: name:mechanism:password (the password may hold colons).
admin_line="$(grep '^admin:' "$users_file" | head -n 1 || true)"
if [ -z "$admin_line" ]; then
  echo "compose-secure-acls: $users_file has no admin:<mechanism>:<password> line" >&2
  exit 1
fi
TRIBUTARY_USER=admin
TRIBUTARY_SASL_MECHANISM="$(printf '%s' "$admin_line" | cut -d: -f2)"
TRIBUTARY_PASSWORD="$(printf '%s' "$admin_line" | cut -d: -f3-)"
export TRIBUTARY_USER TRIBUTARY_SASL_MECHANISM TRIBUTARY_PASSWORD

# The nodes are healthy before this starts (depends_on), but a node may still be
# catching up on the users: try until admin gets in, for at most wait_s seconds.
waited=0
until err="$($cli acls list 2>&1 >/dev/null)"; do
  waited=$((waited + 1))
  if [ "$waited" -ge "$wait_s" ]; then
    echo "compose-secure-acls: admin could not list ACLs within ${wait_s} s: $err" >&2
    exit 1
  fi
  sleep 1
done

if ! $cli topics describe orders >/dev/null 2>&1; then
  $cli topics create orders --partitions 3 --replication-factor 3 || $cli topics describe orders >/dev/null
fi
$cli acls create --allow-principal User:producer --operation Write --topic orders
$cli acls create --allow-principal User:producer --operation IdempotentWrite --cluster
$cli acls create --allow-principal User:dashboard --operation Read --topic orders
$cli acls create --allow-principal User:dashboard --operation Read --group dashboard
$cli acls list
