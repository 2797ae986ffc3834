#!/usr/bin/env bash
# HTTPS to the service: system trust by default, AWS_CA_BUNDLE honoured, --no-verify-ssl; and
# proxies from the environment only with --with-proxy.
source "$(dirname "$0")/lib.sh"
start_emulator tls --tls-cert "$PKI/server.crt.pem" --tls-key "$PKI/server.key.pem"
read -ra SESSION <<<"$(session_flags)"
IDENTITY=(--certificate "$PKI/p256.fullchain.pem" --private-key "$PKI/p256.key.pem")

# The emulator's certificate comes from the test root, which no system trust store holds.
expect_error "an untrusted server certificate is refused" "SSL certificate problem" \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}"
AWS_CA_BUNDLE=$PKI/root-ca.pem expect_credentials "AWS_CA_BUNDLE makes it trusted" \
  "${IDENTITY[@]}" "${SESSION[@]}"
expect_credentials "--no-verify-ssl skips verification" --no-verify-ssl "${IDENTITY[@]}" "${SESSION[@]}"
# The long-running commands say what a weakened setting exposes; credential-process (above) must
# stay silent on success.
AWS_SHARED_CREDENTIALS_FILE=$WORK/tls-credentials "$HELPER" update --no-verify-ssl --profile tls \
  "${IDENTITY[@]}" "${SESSION[@]}" >/dev/null 2>"$WORK/update-tls.err" &
UPDATE_PID=$!
EMULATOR_PIDS+=("$UPDATE_PID")
check "update with --no-verify-ssl works" wait_until 10 test -s "$WORK/tls-credentials"
STDERR=$(cat "$WORK/update-tls.err")
check "... and warns that the service is not authenticated" \
  grep -q "warning: --no-verify-ssl: the service's TLS certificate is not checked" "$WORK/update-tls.err"
expect_clean_stop TERM "$UPDATE_PID" 10 "$WORK/update-tls.err" "... and stops cleanly"
read -ra PLAIN_REMOTE <<<"$(session_flags | sed 's|--endpoint [^ ]*|--endpoint http://rolesanywhere.invalid|')"
AWS_SHARED_CREDENTIALS_FILE=$WORK/plain-credentials "$HELPER" update --profile plain \
  "${IDENTITY[@]}" "${PLAIN_REMOTE[@]}" >/dev/null 2>"$WORK/update-plain.err" &
UPDATE_PID=$!
EMULATOR_PIDS+=("$UPDATE_PID")
plain_warned() { grep -q "warning: --endpoint http://rolesanywhere.invalid is plain HTTP" "$WORK/update-plain.err"; }
check "a plain-HTTP endpoint off this machine is warned about" wait_until 10 plain_warned
STDERR=$(cat "$WORK/update-plain.err")
expect_clean_stop TERM "$UPDATE_PID" 10 "$WORK/update-plain.err" "... and update stops cleanly"
AWS_CA_BUNDLE=$PKI/other-ca.pem expect_error "a bundle without our root is refused" "certificate" \
  credential-process "${IDENTITY[@]}" "${SESSION[@]}"

# A proxy variable pointing at nothing: ignored unless --with-proxy.
start_emulator plain
read -ra SESSION <<<"$(session_flags)"
export http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9
expect_credentials "proxy variables are ignored by default" "${IDENTITY[@]}" "${SESSION[@]}"
expect_error "--with-proxy uses them" "port 9" \
  credential-process --with-proxy "${IDENTITY[@]}" "${SESSION[@]}"
unset http_proxy HTTP_PROXY
finish
