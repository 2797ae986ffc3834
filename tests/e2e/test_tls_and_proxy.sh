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
