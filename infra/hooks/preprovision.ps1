# azd's preprovision hook on Windows (azure.yaml); infra/hooks/preprovision.sh is the same for Linux and macOS, and
# says what it does. Windows PowerShell 5.1 runs it too (azd's fallback when pwsh is missing).
# Native commands are checked by $LASTEXITCODE: with ErrorActionPreference Stop, PowerShell 5.1 would stop at the
# first line a native command writes to standard error.
$ErrorActionPreference = 'Continue'

function Fail([string] $message) {
    [Console]::Error.WriteLine("preprovision: $message")
    exit 1
}

# A preview environment publishes a throw-away PostgreSQL container instead (docs/deploy.md): no server to create.
if ($env:Postgres__PublishAs -and $env:Postgres__PublishAs.ToLowerInvariant() -eq 'container') {
    Write-Output "preprovision: Postgres__PublishAs=container publishes a PostgreSQL container; no managed server to create."
    exit 0
}

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    Fail "the Azure CLI ('az') is needed to create the PostgreSQL server and is not installed: install it (https://aka.ms/installazurecli), run 'az login', then 'azd up' again."
}
if (-not (Get-Command azd -ErrorAction SilentlyContinue)) {
    Fail "'azd' is not on PATH: this hook runs from 'azd up' or 'azd provision'."
}
$envName = $env:AZURE_ENV_NAME
$location = $env:AZURE_LOCATION
$subscription = $env:AZURE_SUBSCRIPTION_ID
if (-not $envName -or -not $location -or -not $subscription) {
    Fail "AZURE_ENV_NAME, AZURE_LOCATION and AZURE_SUBSCRIPTION_ID are not all set: run this hook through 'azd up' or 'azd provision', which set them."
}
az account show --subscription $subscription --output none 2>$null
if ($LASTEXITCODE -ne 0) {
    Fail "the Azure CLI is not signed in to subscription ${subscription}: run 'az login', then 'azd up' again."
}

$deployment = "crm-postgres-$envName"
$template = Join-Path (Split-Path $PSScriptRoot -Parent) 'postgres.bicep'

# An output of the deployment (empty when there is none), and a stored parameter as azd prints it (a JSON string).
function Get-DeploymentOutput([string] $name) {
    $value = az deployment sub show --subscription $subscription --name $deployment --query "properties.outputs.$name.value" --output tsv 2>$null
    if ($LASTEXITCODE -ne 0 -or -not $value) { return '' }
    return ($value | Out-String).Trim()
}
function Get-StoredParameter([string] $name) {
    $value = azd env config get --environment $envName "infra.parameters.$name" 2>$null
    if ($LASTEXITCODE -ne 0 -or -not $value) { return '' }
    return ($value | Out-String).Trim()
}

# Done already: the deployment's server still exists (azd down deletes the server, not the deployment record) and
# both parameters are connection strings to it.
$ownerBase = Get-DeploymentOutput 'CRM_CONNECTION_STRING_BASE'
$appBase = Get-DeploymentOutput 'CRM_APP_CONNECTION_STRING_BASE'
$server = Get-DeploymentOutput 'POSTGRES_SERVER_NAME'
$resourceGroup = Get-DeploymentOutput 'AZURE_RESOURCE_GROUP'
if ($ownerBase -and $appBase -and $server -and $resourceGroup) {
    az postgres flexible-server show --subscription $subscription --resource-group $resourceGroup --name $server --output none 2>$null
    if ($LASTEXITCODE -eq 0 `
            -and (Get-StoredParameter 'crm').StartsWith("`"$ownerBase;Password=", [StringComparison]::Ordinal) `
            -and (Get-StoredParameter 'crmapp').StartsWith("`"$appBase;Password=", [StringComparison]::Ordinal)) {
        Write-Output "preprovision: PostgreSQL server $server and the parameters crm and crmapp exist; nothing to do."
        exit 0
    }
}

# 30 letters and digits, with an upper-case letter, a lower-case letter and a digit for sure (Azure wants three kinds),
# and nothing that a connection string would have to quote.
function New-Password {
    $alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    $random = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    $byte = New-Object byte[] 1
    $password = New-Object System.Text.StringBuilder
    while ($password.Length -lt 27) {
        $random.GetBytes($byte)
        # 248 = 4 * 62: taking only bytes below it keeps every character equally likely.
        if ($byte[0] -lt 248) { [void]$password.Append($alphabet[$byte[0] % 62]) }
    }
    $random.Dispose()
    return "Pg$($password.ToString())7"
}
$ownerPassword = New-Password
$appPassword = New-Password

# The administrator's password goes to az in a file in this user's temporary folder, never on a command line.
# Deploying again (a server left without its parameters) sets this new password on it.
$parameters = [System.IO.Path]::GetTempFileName()
try {
    @"
{
  "`$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "environmentName": { "value": "$envName" },
    "administratorLoginPassword": { "value": "$ownerPassword" }
  }
}
"@ | Set-Content -Path $parameters -Encoding Ascii

    Write-Output "preprovision: deploying infra/postgres.bicep as $deployment in $location (5 to 15 minutes)..."
    az deployment sub create --subscription $subscription --name $deployment --location $location `
        --template-file $template --parameters "@$parameters" --output none
    if ($LASTEXITCODE -ne 0) {
        Fail "the deployment $deployment failed (see above); fix the cause, then run 'azd up' again."
    }
}
finally {
    Remove-Item -Path $parameters -Force -ErrorAction SilentlyContinue
}

$ownerBase = Get-DeploymentOutput 'CRM_CONNECTION_STRING_BASE'
$appBase = Get-DeploymentOutput 'CRM_APP_CONNECTION_STRING_BASE'
$server = Get-DeploymentOutput 'POSTGRES_SERVER_NAME'
if (-not $ownerBase -or -not $appBase) {
    Fail "the deployment $deployment has no outputs CRM_CONNECTION_STRING_BASE and CRM_APP_CONNECTION_STRING_BASE."
}

azd env config set --environment $envName infra.parameters.crm "$ownerBase;Password=$ownerPassword"
if ($LASTEXITCODE -ne 0) { Fail "could not store the parameter crm (azd env config set)." }
azd env config set --environment $envName infra.parameters.crmapp "$appBase;Password=$appPassword"
if ($LASTEXITCODE -ne 0) { Fail "could not store the parameter crmapp (azd env config set)." }
Write-Output "preprovision: PostgreSQL server $server is ready; the parameters crm and crmapp are stored in .azure/$envName/config.json."
