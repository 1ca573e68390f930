#!/usr/bin/env bash
# Installs the Kafka clients `npm run test:compat` drives, from Debian's packages:
# kcat and python3-confluent-kafka (both librdkafka) and python3-kafka
# (kafka-python). Only what is missing, only where apt-get can (root, or sudo
# without a password). Never fails: a client it cannot install is reported here
# and skipped, by name, by test:compat.
set -uo pipefail

missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
# Debian's Python packages belong to the system interpreter (a PATH python3 may be pyenv's).
/usr/bin/python3 -c 'import kafka' >/dev/null 2>&1 || missing+=(python3-kafka)
/usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1 || missing+=(python3-confluent-kafka)
if [ ${#missing[@]} -eq 0 ]; then
  echo "kafka clients: kcat, python3-kafka, python3-confluent-kafka present"
  exit 0
fi

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "kafka clients: cannot install ${missing[*]} (not root, no sudo); test:compat will skip them"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "kafka clients: no apt-get to install ${missing[*]}; test:compat will skip them"
  exit 0
fi
echo "kafka clients: installing ${missing[*]}"
if ! { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; then
  echo "kafka clients: apt-get could not install ${missing[*]}; test:compat will skip what is missing"
fi
exit 0
