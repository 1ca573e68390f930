#!/bin/sh
# Make a test/development PKI for a TLS cluster with openssl:
#   a CA (ca.crt, ca.key), one certificate per node (broker-<id>.crt/.key, CN
#   broker-<id>, SANs node<id>, localhost, 127.0.0.1) and one client certificate
#   per client name (<name>.crt/.key, CN <name>).
#
#   scripts/make-certs.sh [DIR] [NODES] [CLIENTS]
#     DIR      output directory (default ./certs)
#     NODES    how many node certificates (default 3)
#     CLIENTS  comma-separated client names (default client)
#
# An existing CA in DIR is kept and leaf certificates are issued anew (new key,
# new serial): run it again and send the brokers SIGHUP to rotate. A CN of
# broker-<id> signed by the cluster CA is what makes a connection a broker of the
# cluster (mTLS), so keep ca.key away from anything but this script.
set -eu

DIR=${1:-certs}
NODES=${2:-3}
CLIENTS=${3:-client}
DAYS=${CERT_DAYS:-825}

mkdir -p "$DIR"
umask 077

if [ ! -f "$DIR/ca.key" ] || [ ! -f "$DIR/ca.crt" ]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$DIR/ca.key" -out "$DIR/ca.crt" -days "$DAYS" -subj "/O=Tributary/CN=Tributary CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

# issue NAME SUBJECT SAN EXTENDED_KEY_USAGE
issue() {
  ext=$(mktemp)
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' "$4" > "$ext"
  if [ -n "$3" ]; then printf 'subjectAltName=%s\n' "$3" >> "$ext"; fi
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -keyout "$DIR/$1.key" -out "$DIR/$1.csr" -subj "$2" 2>/dev/null
  openssl x509 -req -in "$DIR/$1.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 -extfile "$ext" -out "$DIR/$1.crt" 2>/dev/null
  rm -f "$DIR/$1.csr" "$ext"
}

i=1
while [ "$i" -le "$NODES" ]; do
  # Nodes are servers to clients and both client and server to each other (mTLS between peers).
  issue "broker-$i" "/O=Tributary/CN=broker-$i" "DNS:node$i,DNS:localhost,IP:127.0.0.1" "serverAuth,clientAuth"
  i=$((i + 1))
done

for name in $(echo "$CLIENTS" | tr ',' ' '); do
  issue "$name" "/O=Tributary/OU=clients/CN=$name" "" "clientAuth"
done

# Containers run as a non-root user: certificates world-readable, keys readable by the group.
chmod 644 "$DIR"/*.crt
chmod 640 "$DIR"/*.key
chmod 600 "$DIR/ca.key"
echo "certificates in $DIR: ca.crt, broker-1..$NODES, $CLIENTS" >&2
