#!/usr/bin/env bash
# doctor, end to end: on every generated case (tests/doctor/make-doctor-pki.sh: good identities,
# ones worth a warning, and broken ones with one fault each) it names the fault by its check id
# in JSON and readably in text, and says ok for the good ones; the emulator agrees (a request
# with a broken one is refused, naming the same check; a good one gets credentials). Then the
# ARN, duration, region and endpoint findings, --online against the emulator (granted, refused
# with the explanation, a clock that is off, no answer), the AWS config file's profiles, colour
# only on a terminal, usage errors (exit 2), and nothing secret in any output.
source "$(dirname "$0")/lib.sh"

DPKI=$WORK/doctor-pki
"$SOURCE_DIR/tests/doctor/make-doctor-pki.sh" "$DPKI" >"$WORK/make-doctor-pki.log" 2>&1 ||
  { echo "could not make the doctor PKI:"; cat "$WORK/make-doctor-pki.log"; exit 1; }

# json_check PYTHON_EXPRESSION...: evaluates each expression (which must hold) with `report`
# the JSON on stdout, `ids(verdict)` the ids with that verdict, `check(id)` the first check with
# that id.
json_check() {
  python3 - "$STDOUT" "$@" <<'PY' 2>"$WORK/json_check.err"
import json, sys
report = json.loads(sys.argv[1])
checks = report["checks"]
assert all(list(c) == ["id", "verdict", "what", "remedy"] for c in checks), checks
def ids(verdict):
    return sorted({c["id"] for c in checks if c["verdict"] == verdict})
def check(id):
    return next(c for c in checks if c["id"] == id)
assert report["problems"] == sum(c["verdict"] == "problem" for c in checks)
for expression in sys.argv[2:]:
    assert eval(expression), (expression, [(c["id"], c["verdict"], c["what"]) for c in checks])
PY
}

# flat: stdout with runs of blanks and newlines made one space, so a phrase wrapped over lines
# is found.
flat() { printf '%s' "$STDOUT" | tr -s ' \n' '  '; }

case_args() { # case_args CERT KEY INTERMEDIATES ANCHOR CRL: sets ARGS
  ARGS=(--certificate "$DPKI/$1" --private-key "$DPKI/$2" --trust-anchor-certificate "$DPKI/$4")
  [ "$3" = - ] || ARGS+=(--intermediates "$DPKI/$3")
  [ "$5" = - ] || ARGS+=(--crl "$DPKI/$5")
}

# --- doctor on every case ---
while IFS='|' read -r name verdict id emulator cert key intermediates anchor crl phrase; do
  case_args "$cert" "$key" "$intermediates" "$anchor" "$crl"
  status=0
  [ "$verdict" = problem ] && status=1
  run_helper doctor --format json "${ARGS[@]}"
  if [ "$verdict" = problem ]; then
    expected="ids('problem') == ['$id']"
  else
    expected="ids('problem') == [] and check('$id')['verdict'] == '$verdict'"
  fi
  if [ "$STATUS" = "$status" ] && [ -z "$STDERR" ] && json_check "$expected"; then
    pass "doctor --format json, $name: $id $verdict (exit $status)"
  else
    fail "doctor --format json, $name: $id $verdict (exit $status)"
    cat "$WORK/json_check.err"
  fi
  run_helper doctor "${ARGS[@]}"
  if [ "$STATUS" = "$status" ] && printf '%s\n' "$STDOUT" | grep -Eq "^$verdict +${id//./\\.} " &&
    [[ "$(flat)" == *"$phrase"* ]] && [[ "$STDOUT" != *$'\033'* ]]; then
    pass "doctor text, $name: '$verdict $id' saying \"$phrase\""
  else
    fail "doctor text, $name: '$verdict $id' saying \"$phrase\""
  fi
done <"$DPKI/cases"

# --- the emulator agrees: one emulator per trust anchor ---
declare -A EMULATOR_FOR
emulator_for_anchor() { # emulator_for_anchor ANCHOR: sets URL
  if [ -z "${EMULATOR_FOR[$1]:-}" ]; then
    local port_file=$WORK/emulator-${1%.pem}.port
    "$EMULATOR" --port 0 --port-file "$port_file" --ca "$DPKI/$1" \
      --trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN" \
      >"$WORK/emulator-${1%.pem}.log" 2>&1 &
    EMULATOR_PIDS+=($!)
    wait_until 5 test -s "$port_file" || { echo "emulator for $1 did not start"; exit 1; }
    EMULATOR_FOR[$1]=http://127.0.0.1:$(cat "$port_file")
  fi
  URL=${EMULATOR_FOR[$1]}
}
arns=(--trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN")
while IFS='|' read -r name verdict id emulator cert key intermediates anchor crl phrase; do
  [ "$emulator" = none ] && { skip "emulator on $name" "the emulator takes no CRL"; continue; }
  emulator_for_anchor "$anchor"
  credential_args=(--certificate "$DPKI/$cert" --private-key "$DPKI/$key" "${arns[@]}" --endpoint "$URL")
  [ "$intermediates" = - ] || credential_args+=(--intermediates "$DPKI/$intermediates")
  if [ "$emulator" = accept ]; then
    expect_credentials "the emulator accepts $name" "${credential_args[@]}"
    continue
  fi
  run_helper credential-process "${credential_args[@]}"
  if [ "$STATUS" = 0 ] || [ -n "$STDOUT" ]; then
    fail "the emulator refuses $name"
  elif [[ "$STDERR" == *AccessDeniedException* ]]; then
    # The emulator judged it with doctor's rules, and says which one (a key that is not the
    # certificate's fails the signature check before any certificate rule).
    if [[ "$STDERR" == *"[doctor: $id]"* || ("$id" = key.match && "$STDERR" == *"Signature verification failed"*) ]]; then
      pass "the emulator refuses $name, naming $id"
    else
      fail "the emulator refuses $name, naming $id"
    fi
  else
    # The helper refuses some before sending (an expired certificate, a key it cannot sign
    # with); the emulator's verdict on them is checked by the unit tests (test_doctor_cases).
    pass "$name is refused before it reaches the emulator: ${STDERR:0:100}"
  fi
done <"$DPKI/cases"

# --- ARNs, region, endpoint, duration ---
GOOD=(--certificate "$DPKI/good-p256.pem" --private-key "$DPKI/leaf.key" --intermediates "$DPKI/int.pem"
  --trust-anchor-certificate "$DPKI/root.pem")
session_case() { # session_case DESCRIPTION ID PHRASE FLAGS...
  local description=$1 id=$2 phrase=$3
  shift 3
  run_helper doctor --format json "${GOOD[@]}" "$@"
  if [ "$STATUS" = 1 ] && json_check "ids('problem') == ['$id']" "'''$phrase''' in check('$id')['what']"; then
    pass "doctor: $description is $id"
  else
    fail "doctor: $description is $id"
    cat "$WORK/json_check.err"
  fi
}
other_account_role=arn:aws:iam::210987654321:role/rolesanywhere-test
other_region_profile=${PROFILE_ARN/us-east-1/eu-west-1}
session_case "a malformed trust anchor ARN" arn.trust_anchor "is not 12 digits" \
  --trust-anchor-arn arn:aws:rolesanywhere:us-east-1:1234:trust-anchor/x --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN"
session_case "a role of another account" arn.match "account 210987654321" \
  --trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" --role-arn "$other_account_role"
session_case "a profile of another region" arn.match "region eu-west-1" \
  --trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$other_region_profile" --role-arn "$ROLE_ARN"
session_case "--region other than the trust anchor's" region "signed for eu-west-1" "${arns[@]}" --region eu-west-1
session_case "an endpoint of another region" endpoint "is the endpoint of eu-west-1" "${arns[@]}" \
  --endpoint https://rolesanywhere.eu-west-1.amazonaws.com
session_case "a session duration under 900" duration "60 is outside 900..43200" "${arns[@]}" --session-duration 60
session_case "a session duration over 43200" duration "50000 is outside" "${arns[@]}" --session-duration 50000

# The emulator refuses the ARNs that do not belong together too.
emulator_for_anchor root.pem
run_helper credential-process --certificate "$DPKI/good-p256.pem" --private-key "$DPKI/leaf.key" \
  --intermediates "$DPKI/int.pem" --trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" \
  --role-arn "$other_account_role" --endpoint "$URL"
check "the emulator refuses a role of another account" \
  test "$STATUS" != 0 -a -z "$STDOUT" -a "${STDERR/do not belong together/}" != "$STDERR"

# --- --online ---
no_secrets() { # no_secrets TEXT: no access key id, no long base64 run (a secret key or token)
  ! printf '%s' "$1" | grep -Eq 'ASIA[A-Z0-9]{16}|[A-Za-z0-9+/]{40}|SecretAccessKey|SessionToken|secretAccessKey|sessionToken'
}
run_helper doctor --online --format json "${GOOD[@]}" "${arns[@]}" --endpoint "$URL"
if [ "$STATUS" = 0 ] &&
  json_check "check('online')['verdict'] == 'ok'" "'credentials issued for $ROLE_ARN' in check('online')['what']" \
    "'valid until' in check('online')['what']" "check('clock')['verdict'] == 'ok'" &&
  no_secrets "$STDOUT$STDERR"; then
  pass "--online with a good identity: credentials issued (not shown), the clock agrees"
else
  fail "--online with a good identity: credentials issued (not shown), the clock agrees"
  cat "$WORK/json_check.err"
fi
run_helper doctor --online "${GOOD[@]}" "${arns[@]}" --endpoint "$URL"
check "--online in text: not a secret either" no_secrets "$STDOUT$STDERR"

run_helper doctor --online --format json --certificate "$DPKI/good-p256.pem" --private-key "$DPKI/leaf.key" \
  --trust-anchor-certificate "$DPKI/root.pem" "${arns[@]}" --endpoint "$URL"
if [ "$STATUS" = 1 ] && json_check "check('online')['verdict'] == 'problem'" \
  "'Untrusted signing certificate' in check('online')['what']" \
  "'missing issuer' in check('online')['what']" "'chain.anchor' in check('online')['what']"; then
  pass "--online refused: the service's message and the local explanation (missing issuer)"
else
  fail "--online refused: the service's message and the local explanation (missing issuer)"
  cat "$WORK/json_check.err"
fi

# An emulator whose clock is 10 minutes ahead: the signature is refused, the clock is why.
port_file=$WORK/emulator-skewed.port
"$EMULATOR" --port 0 --port-file "$port_file" --ca "$DPKI/root.pem" --clock-offset 600 \
  --trust-anchor-arn "$TRUST_ANCHOR_ARN" --profile-arn "$PROFILE_ARN" --role-arn "$ROLE_ARN" \
  >"$WORK/emulator-skewed.log" 2>&1 &
EMULATOR_PIDS+=($!)
wait_until 5 test -s "$port_file" || { echo "the skewed emulator did not start"; exit 1; }
run_helper doctor --online --format json "${GOOD[@]}" "${arns[@]}" --endpoint "http://127.0.0.1:$(cat "$port_file")"
if [ "$STATUS" = 1 ] && json_check "ids('problem') == ['clock', 'online']" \
  "'10 minutes behind' in check('clock')['what']" "'Signature expired' in check('online')['what']" \
  "'clock:' in check('online')['what']"; then
  pass "--online against a clock 10 minutes off: the clock is the problem and explains the refusal"
else
  fail "--online against a clock 10 minutes off: the clock is the problem and explains the refusal"
  cat "$WORK/json_check.err"
fi

run_helper doctor --online --format json "${GOOD[@]}" "${arns[@]}" --endpoint http://127.0.0.1:1
check "--online with nobody listening: no answer, said as a problem" \
  json_check "ids('problem') == ['online']" "'no answer from http://127.0.0.1:1' in check('online')['what']"

# --- the AWS config file's credential_process lines ---
cat >"$AWS_CONFIG_FILE" <<INI
[profile good]
credential_process = $HELPER credential-process --cache --certificate $DPKI/good-p256.pem --private-key $DPKI/leaf.key --intermediates $DPKI/int.pem --trust-anchor-arn $TRUST_ANCHOR_ARN --profile-arn $PROFILE_ARN --role-arn $ROLE_ARN
[profile expired]
credential_process = "$HELPER" credential-process --certificate '$DPKI/leaf-expired.pem' --private-key $DPKI/leaf.key --intermediates $DPKI/int.pem --trust-anchor-arn $TRUST_ANCHOR_ARN --profile-arn $PROFILE_ARN --role-arn $ROLE_ARN
[profile encrypted]
credential_process = $HELPER credential-process --certificate $PKI/rsa2048.crt.pem --private-key $PKI/rsa2048.key.enc-pbkdf2.pem --pkcs8-password test-password --trust-anchor-arn $TRUST_ANCHOR_ARN --profile-arn $PROFILE_ARN --role-arn $ROLE_ARN
[profile someone-else]
credential_process = /usr/bin/other-tool --flag
INI
run_helper doctor --format json
if [ "$STATUS" = 1 ] && json_check \
  "[c['what'].split(' ')[1] for c in checks if c['id'] == 'env.config'] == ['good', 'expired', 'encrypted']" \
  "[c['verdict'] for c in checks if c['id'] == 'env.config'] == ['ok', 'problem', 'ok']" \
  "'leaf.validity: expired on' in [c for c in checks if c['id'] == 'env.config'][1]['what']" \
  "check('identity')['verdict'] == 'skipped'"; then
  pass "doctor checks each credential_process of the config file that runs this helper"
else
  fail "doctor checks each credential_process of the config file that runs this helper"
  cat "$WORK/json_check.err"
fi
check "a password in the config file is never shown" test "${STDOUT/test-password/}" = "$STDOUT"

# A config file the AWS CLI cannot read at all (a section pasted twice): every aws command fails
# with "Unable to parse config file" and no line number; doctor names the line.
cat >"$AWS_CONFIG_FILE" <<INI
[profile good]
credential_process = $HELPER credential-process --certificate $DPKI/good-p256.pem --private-key $DPKI/leaf.key --intermediates $DPKI/int.pem --trust-anchor-arn $TRUST_ANCHOR_ARN --profile-arn $PROFILE_ARN --role-arn $ROLE_ARN

[profile good]
region = eu-west-1
INI
run_helper doctor --format json
if [ "$STATUS" = 1 ] && json_check \
  "[c['verdict'] for c in checks if c['id'] == 'env.config'] == ['problem', 'ok']" \
  "'cannot read this file' in check('env.config')['what']" \
  "'line 4: [profile good] appears a second time (first on line 1)' in check('env.config')['what']" \
  "check('env.config')['remedy'] == 'merge the two [profile good] sections into one'"; then
  pass "a config file the AWS CLI refuses whole: doctor names the line and why"
else
  fail "a config file the AWS CLI refuses whole: doctor names the line and why"
  cat "$WORK/json_check.err"
fi
# The AWS CLI's own reading of the same file (botocore), when it is on this machine.
if python3 -c 'import botocore' 2>/dev/null; then
  check "botocore refuses that file too" python3 - "$AWS_CONFIG_FILE" <<'PY'
import sys, botocore.configloader, botocore.exceptions
try:
    botocore.configloader.raw_config_parse(sys.argv[1])
except botocore.exceptions.ConfigParseError:
    sys.exit(0)
sys.exit(1)
PY
else
  skip "botocore refuses that file too" "botocore (the AWS CLI's Python library) is not installed"
fi
rm -f "$AWS_CONFIG_FILE"

# --- nothing secret: key passwords, proxy credentials, PINs ---
run_helper doctor --certificate "$PKI/rsa2048.crt.pem" --private-key "$PKI/rsa2048.key.enc-pbkdf2.pem" \
  --pkcs8-password test-password --intermediates "$PKI/intermediate-ca.pem" --trust-anchor-certificate "$PKI/root-ca.pem"
check "an encrypted key with its password: read, and the password never shown" \
  test "$STATUS" = 0 -a "${STDOUT/test-password/}" = "$STDOUT" -a "${STDERR/test-password/}" = "$STDERR"
https_proxy=http://proxy-user:pr0xy-s3cret@127.0.0.1:3128 run_helper doctor --format json "${GOOD[@]}"
if json_check "check('env.proxy')['verdict'] == 'warning'" "'***@127.0.0.1:3128' in check('env.proxy')['what']" &&
  [[ "$STDOUT$STDERR" != *pr0xy-s3cret* && "$STDOUT$STDERR" != *proxy-user* ]]; then
  pass "a proxy variable is reported without its user and password, unused without --with-proxy"
else
  fail "a proxy variable is reported without its user and password, unused without --with-proxy"
fi
run_helper doctor --format json --certificate 'pkcs11:token=no-such-token;object=x;pin-value=Pin-9q8w7e' \
  --pkcs11-lib "$WORK/no-such-module.so"
check "a PIN in a PKCS#11 URI is never shown" \
  test "$STATUS" = 1 -a "${STDOUT/Pin-9q8w7e/}" = "$STDOUT" -a "${STDERR/Pin-9q8w7e/}" = "$STDERR"

# --- colour only on a terminal, and not with NO_COLOR ---
if command -v script >/dev/null; then
  script -qec "$HELPER doctor ${GOOD[*]}" /dev/null >"$WORK/tty.out" 2>&1
  check "colour on a terminal" grep -q $'\033\[32mok' "$WORK/tty.out"
  NO_COLOR=1 script -qec "$HELPER doctor ${GOOD[*]}" /dev/null >"$WORK/tty.out" 2>&1
  check "no colour with NO_COLOR" bash -c "! grep -q $'\033' '$WORK/tty.out' && grep -q 'ok *chain.anchor' '$WORK/tty.out'"
else
  skip "colour on a terminal" "script(1) is not installed"
fi

# Text fits 80 columns, but for words longer than a line (the paths and ARNs given).
run_helper doctor "${GOOD[@]}" "${arns[@]}"
check "readable in 80 columns" bash -c 'printf "%s\n" "$1" | awk "length > 80 && !/\// && !/arn:/ { bad = 1 } END { exit bad }"' _ "$STDOUT"

# A file name that is not UTF-8 still makes valid JSON (the byte shown as U+FFFD).
latin1=$WORK/$'caf\xe9.pem'
cp "$DPKI/good-p256.pem" "$latin1"
run_helper doctor --format json --certificate "$latin1" --private-key "$DPKI/leaf.key"
check "a certificate path in Latin-1 still makes valid JSON" \
  json_check "'caf\\ufffd.pem' in check('files.certificate')['what']"

# --- usage errors: exit 2, nothing on stdout ---
run_helper doctor --format xml
check "--format xml is a usage error (exit 2)" test "$STATUS" = 2 -a -z "$STDOUT" -a "${STDERR/--format xml/}" != "$STDERR"
run_helper doctor --session-duration soon
check "--session-duration that is no number is a usage error (exit 2)" test "$STATUS" = 2 -a -z "$STDOUT"
run_helper doctor --no-such-flag
check "an unknown flag is a usage error (exit 2)" test "$STATUS" = 2 -a -z "$STDOUT"
run_helper doctor --help
check "--help lists doctor's flags" test "$STATUS" = 0 -a "${STDOUT/--trust-anchor-certificate/}" != "$STDOUT"

finish
