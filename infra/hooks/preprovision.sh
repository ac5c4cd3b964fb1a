#!/usr/bin/env bash
# azd's preprovision hook (azure.yaml), so that `azd up` from an empty environment is one command. Once per
# environment it deploys infra/postgres.bicep (the managed PostgreSQL server, in the resource group azd deploys the
# app into), generates the server administrator's and crm_app's passwords, and stores the two connection strings as
# the AppHost's secret parameters crm and crmapp in the azd environment (infra.parameters), where azd's provisioning
# and its deploy both read them. The role crm_app itself is created by the migration worker, in Azure, with the
# password in crmapp. Run again, it finds the server and both parameters and changes nothing; with
# Postgres__PublishAs=container (a preview environment) it does nothing.
# infra/hooks/preprovision.ps1 is the same for Windows.
set -euo pipefail

fail() {
  printf 'preprovision: %s\n' "$1" >&2
  exit 1
}

# A preview environment publishes a throw-away PostgreSQL container instead (docs/deploy.md): no server to create.
case "${Postgres__PublishAs:-}" in
  [Cc][Oo][Nn][Tt][Aa][Ii][Nn][Ee][Rr])
    echo "preprovision: Postgres__PublishAs=container publishes a PostgreSQL container; no managed server to create."
    exit 0 ;;
esac

command -v az >/dev/null 2>&1 \
  || fail "the Azure CLI ('az') is needed to create the PostgreSQL server and is not installed: install it (https://aka.ms/installazurecli), run 'az login', then 'azd up' again."
command -v azd >/dev/null 2>&1 \
  || fail "'azd' is not on PATH: this hook runs from 'azd up' or 'azd provision'."
env_name=${AZURE_ENV_NAME:-}
location=${AZURE_LOCATION:-}
subscription=${AZURE_SUBSCRIPTION_ID:-}
if [ -z "$env_name" ] || [ -z "$location" ] || [ -z "$subscription" ]; then
  fail "AZURE_ENV_NAME, AZURE_LOCATION and AZURE_SUBSCRIPTION_ID are not all set: run this hook through 'azd up' or 'azd provision', which set them."
fi
az account show --subscription "$subscription" --output none 2>/dev/null \
  || fail "the Azure CLI is not signed in to subscription $subscription: run 'az login', then 'azd up' again."

deployment="crm-postgres-$env_name"
template="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/postgres.bicep"

# An output of the deployment (empty when there is none), and a stored parameter as azd prints it (a JSON string).
output() {
  az deployment sub show --subscription "$subscription" --name "$deployment" \
    --query "properties.outputs.$1.value" --output tsv 2>/dev/null || true
}
stored() {
  azd env config get --environment "$env_name" "infra.parameters.$1" 2>/dev/null || true
}

# Done already: the deployment's server still exists (azd down deletes the server, not the deployment record) and
# both parameters are connection strings to it.
owner_base=$(output CRM_CONNECTION_STRING_BASE)
app_base=$(output CRM_APP_CONNECTION_STRING_BASE)
server=$(output POSTGRES_SERVER_NAME)
resource_group=$(output AZURE_RESOURCE_GROUP)
if [ -n "$owner_base" ] && [ -n "$app_base" ] && [ -n "$server" ] && [ -n "$resource_group" ] \
  && az postgres flexible-server show --subscription "$subscription" --resource-group "$resource_group" --name "$server" --output none 2>/dev/null \
  && [[ $(stored crm) == "\"$owner_base;Password="* ]] && [[ $(stored crmapp) == "\"$app_base;Password="* ]]; then
  echo "preprovision: PostgreSQL server $server and the parameters crm and crmapp exist; nothing to do."
  exit 0
fi

# 30 letters and digits, with an upper-case letter, a lower-case letter and a digit for sure (Azure wants three kinds),
# and nothing that a connection string would have to quote.
password() {
  local random
  random=$(head -c 1024 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9' | cut -c 1-27)
  [ ${#random} -eq 27 ] || fail "could not generate a password from /dev/urandom."
  printf 'Pg%s7' "$random"
}
owner_password=$(password)
app_password=$(password)

# The administrator's password goes to az in a file only this user can read, never on a command line. Deploying
# again (a server left without its parameters) sets this new password on it.
parameters=$(mktemp)
trap 'rm -f "$parameters"' EXIT
chmod 600 "$parameters"
cat >"$parameters" <<JSON
{
  "\$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "environmentName": { "value": "$env_name" },
    "administratorLoginPassword": { "value": "$owner_password" }
  }
}
JSON

echo "preprovision: deploying infra/postgres.bicep as $deployment in $location (5 to 15 minutes)..."
az deployment sub create --subscription "$subscription" --name "$deployment" --location "$location" \
  --template-file "$template" --parameters "@$parameters" --output none \
  || fail "the deployment $deployment failed (see above); fix the cause, then run 'azd up' again."

owner_base=$(output CRM_CONNECTION_STRING_BASE)
app_base=$(output CRM_APP_CONNECTION_STRING_BASE)
server=$(output POSTGRES_SERVER_NAME)
if [ -z "$owner_base" ] || [ -z "$app_base" ]; then
  fail "the deployment $deployment has no outputs CRM_CONNECTION_STRING_BASE and CRM_APP_CONNECTION_STRING_BASE."
fi

azd env config set --environment "$env_name" infra.parameters.crm "$owner_base;Password=$owner_password" \
  || fail "could not store the parameter crm (azd env config set)."
azd env config set --environment "$env_name" infra.parameters.crmapp "$app_base;Password=$app_password" \
  || fail "could not store the parameter crmapp (azd env config set)."
echo "preprovision: PostgreSQL server $server is ready; the parameters crm and crmapp are stored in .azure/$env_name/config.json."
