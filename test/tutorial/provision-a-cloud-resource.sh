#!/usr/bin/env bash
# The seed tutorial "Provision a cloud Resource", step by step, as a reader types it: plexctl and
# jq against a running broker ($PLEXSPHERE_URL). Each step checks what the tutorial says it shows
# and the script stops at the first difference. test/e2e/tutorial.test.ts runs it against a fresh
# embedded stack and completes the two browser sign-ins; a person can run it by hand against
# `npm start` and sign in themselves.
#
# Departures from the text, on purpose:
# - the version id comes from `plexctl blueprint get` (the broker shows it), not from a database;
# - the poll loops sleep $POLL_SECONDS (default 10, as the tutorial) between reads;
# - a permission error is never retried: grants here are strongly consistent.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
POLL_SECONDS=${POLL_SECONDS:-10}

step() { printf '\n=== %s\n' "$*"; }
fail() { printf 'TUTORIAL FAILED: %s\n' "$*" >&2; exit 1; }
# expect_json <what> <actual json> <expected json>: equal as JSON values.
expect_json() {
  if ! jq -e --argjson want "$3" '. == $want' <<<"$2" >/dev/null; then
    fail "$1: expected $3, got $2"
  fi
  printf 'ok   %s\n' "$1"
}
expect_uuid() {
  [[ $2 =~ ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] || fail "$1: expected a UUIDv7, got '$2'"
  printf 'ok   %s = %s\n' "$1" "$2"
}

step 'Before you start'
export PATH="$PWD/bin:$PATH"
export PLEXSPHERE_URL=${PLEXSPHERE_URL:-http://localhost:8080}

eval "$(make -s dev-ids)"
echo "domain=$DOMAIN_ID binding=$BINDING_ID"
expect_uuid DOMAIN_ID "$DOMAIN_ID"
expect_uuid BINDING_ID "$BINDING_ID"

CLOUD_ID=019100c0-0d00-7000-8000-000000000001
CLOUDLESS_BLUEPRINT=01910051-0051-7000-8051-000000000006

step 'Step 1: as the platform operator, inspect the catalog'
plexctl login --profile-name operator --domain-id "$DOMAIN_ID" --idp-binding-id "$BINDING_ID"

CLOUD=$(plexctl cloud get "$CLOUD_ID" --profile operator --output json | jq '{slug, display_name, provider}')
echo "$CLOUD"
expect_json 'the seeded Cloud' "$CLOUD" '{"slug":"demo-cloud","display_name":"Demo Cloud","provider":"aws"}'

CREDENTIAL_ID=$(plexctl cloud credential list --cloud-id "$CLOUD_ID" --profile operator --output json \
  | jq -r '.items[] | select(.display_name == "demo-credential") | .id')
echo "$CREDENTIAL_ID"
expect_uuid CREDENTIAL_ID "$CREDENTIAL_ID"
# Metadata only: no field of the listing carries the vaulted material.
SECRET_FIELDS=$(plexctl cloud credential list --cloud-id "$CLOUD_ID" --profile operator --output json \
  | jq '[.items[] | keys[] | select(test("payload|secret|material"))] | unique')
expect_json 'credential list shows no secret material' "$SECRET_FIELDS" '[]'

BLUEPRINT=$(plexctl blueprint get "$CLOUDLESS_BLUEPRINT" --profile operator --output json \
  | jq '{slug, version: .versions[0].version, parameter_schema: .versions[0].parameter_schema}')
echo "$BLUEPRINT"
expect_json 'the cloudless blueprint' "$BLUEPRINT" '{"slug":"kubernetes-cloudless-node","version":"v1alpha1","parameter_schema":[]}'

VERSION_ID=$(plexctl blueprint get "$CLOUDLESS_BLUEPRINT" --profile operator --output json | jq -r '.versions[0].id')
echo "$VERSION_ID"
expect_uuid VERSION_ID "$VERSION_ID"

step 'Step 2: as the project owner, create a Project'
plexctl login --domain-id "$DOMAIN_ID" --idp-binding-id "$BINDING_ID"

PROJECT_ID=$(plexctl project create \
  --domain "$DOMAIN_ID" \
  --slug provision-demo \
  --display-name "Provision demo" \
  --output json | jq -r '.id')
echo "$PROJECT_ID"
expect_uuid PROJECT_ID "$PROJECT_ID"

step 'Step 3: request a credential assignment'
ASSIGNMENT_ID=$(plexctl credential assignment request \
  --project-id "$PROJECT_ID" \
  --cloud-credential-id "$CREDENTIAL_ID" \
  --output json | jq -r '.id')
echo "$ASSIGNMENT_ID"
expect_uuid ASSIGNMENT_ID "$ASSIGNMENT_ID"

# The requester may not approve its own request; plexctl says why and exits non-zero.
if SELF=$(plexctl credential assignment approve "$ASSIGNMENT_ID" --output json 2>&1); then
  fail "the requester approved its own assignment: $SELF"
fi
grep -q 'self_approval_denied' <<<"$SELF" || fail "self-approval was refused without self_approval_denied: $SELF"
printf 'ok   self-approval refused (self_approval_denied)\n'

step 'Step 4: as the platform operator, approve the assignment'
PENDING=$(plexctl credential assignment list --project-id "$PROJECT_ID" --profile operator --output json \
  | jq '.items[] | select(.state == "requested") | {id, state, cloud_credential_id}')
echo "$PENDING"
expect_json 'the pending assignment' "$PENDING" \
  "{\"id\":\"$ASSIGNMENT_ID\",\"state\":\"requested\",\"cloud_credential_id\":\"$CREDENTIAL_ID\"}"

APPROVED=$(plexctl credential assignment approve "$ASSIGNMENT_ID" --profile operator --output json \
  | jq '{state, materialised}')
echo "$APPROVED"
expect_json 'the approved assignment' "$APPROVED" '{"state":"approved","materialised":true}'

step 'Step 5: as the project owner, create the provisioned Resource'
RESOURCE_ID=$(plexctl resource create \
  --project-id "$PROJECT_ID" \
  --kind node \
  --blueprint-version-id "$VERSION_ID" \
  --cloud-credential-id "$CREDENTIAL_ID" \
  --parameters '{}' \
  --output json | jq -r '.id')
echo "$RESOURCE_ID"
expect_uuid RESOURCE_ID "$RESOURCE_ID"

CREATED=$(plexctl resource get "$RESOURCE_ID" --output json | jq '{kind, origin, phase: .provisioning.phase}')
echo "$CREATED"
# The broker may already have moved it on by the time we read; the first recorded phase is Pending.
# --output json prints the wire form (origin "provisioned"); the human table says Provisioned.
expect_json 'the Resource as declared' "$(jq '{kind, origin}' <<<"$CREATED")" '{"kind":"node","origin":"provisioned"}'
FIRST=$(plexctl resource get "$RESOURCE_ID" --output json | jq '.provisioning.transitions[0].phase')
expect_json 'the first recorded phase' "$FIRST" '"Pending"'

step 'Step 6: watch it reach Ready'
while true; do
  PHASE=$(plexctl resource get "$RESOURCE_ID" --output json | jq -r '.provisioning.phase')
  echo "$(date +%T) $PHASE"
  case "$PHASE" in Ready|Failed) break ;; esac
  sleep "$POLL_SECONDS"
done
[[ $PHASE == Ready ]] || fail "the Resource ended in $PHASE: $(plexctl resource get "$RESOURCE_ID" --output json | jq -c .provisioning)"
UP=$(plexctl resource get "$RESOURCE_ID" --output json | jq -c '[.provisioning.transitions[].phase]')
expect_json 'phases on the way up' "$UP" '["Pending","Provisioning","Enrolling","Ready"]'

step 'Step 7: deprovision the Resource'
plexctl resource delete "$RESOURCE_ID" --yes

while true; do
  PHASE=$(plexctl resource get "$RESOURCE_ID" --output json | jq -r '.provisioning.phase')
  echo "$(date +%T) $PHASE"
  case "$PHASE" in Deleted|Failed) break ;; esac
  sleep "$POLL_SECONDS"
done
[[ $PHASE == Deleted ]] || fail "the teardown ended in $PHASE"
ALL=$(plexctl resource get "$RESOURCE_ID" --output json | jq -c '[.provisioning.transitions[].phase]')
expect_json 'phases up and down' "$ALL" '["Pending","Provisioning","Enrolling","Ready","Deregistering","Deprovisioning","Deleted"]'

printf '\nTUTORIAL PASSED\n'
