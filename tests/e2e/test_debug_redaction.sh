#!/usr/bin/env bash
# --debug explains what was loaded and sent, and never shows a secret: not the secret key, not
# the session token, not the key password.
source "$(dirname "$0")/lib.sh"
start_emulator emulator
read -ra SESSION <<<"$(session_flags)"

run_helper credential-process --certificate "$PKI/rsa2048.fullchain.pem" \
  --private-key "$PKI/rsa2048.key.enc-pbkdf2.pem" --pkcs8-password test-password --debug "${SESSION[@]}"
[ "$STATUS" -eq 0 ] && valid_credentials_json "$STDOUT" && pass "--debug still prints the credentials" ||
  fail "--debug still prints the credentials"
secret=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["SecretAccessKey"])' "$STDOUT")
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["SessionToken"])' "$STDOUT")
serial=$(python3 -c "print(int('$(openssl x509 -in "$PKI/rsa2048.crt.pem" -noout -serial | cut -d= -f2)', 16))")

for expected in "$serial" "workload-rsa2048" "POST" "/sessions" "x-amz-x509" "$EMULATOR_URL"; do
  [[ "$STDERR" == *"$expected"* ]] && pass "debug output mentions $expected" ||
    fail "debug output mentions $expected"
done
[[ "$STDERR" != *"$secret"* ]] && pass "the secret access key is not in the debug output" ||
  fail "the secret access key is not in the debug output"
[[ "$STDERR" != *"$token"* ]] && pass "the session token is not in the debug output" ||
  fail "the session token is not in the debug output"
[[ "$STDERR" != *test-password* ]] && pass "the key password is not in the debug output" ||
  fail "the key password is not in the debug output"
finish
