// The managed PostgreSQL that CrmToolkit uses in Azure: an Azure Database for PostgreSQL flexible server with
// password authentication and the database `crm`, in the resource group that `azd up` deploys the app into.
//
// Deployed once per azd environment by azd's preprovision hook (infra/hooks/preprovision.sh, .ps1), before azd
// provisions the rest, as the subscription deployment crm-postgres-<env>:
//   az deployment sub create --name crm-postgres-<env> --location <region> \
//     --template-file infra/postgres.bicep --parameters @<file with environmentName and administratorLoginPassword>
//
// This file is deliberately not infra/main.bicep: azd treats an infra/main.bicep as the whole infrastructure of
// the project and would then stop generating the Container Apps environment, registry and identity from the
// Aspire AppHost. The outputs below are what the two secret AppHost parameters `crm` and `crmapp` are made of.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('The azd environment name (AZURE_ENV_NAME). The server goes into rg-<environmentName>, the resource group azd up creates and deploys the app into.')
param environmentName string

@minLength(1)
@description('The Azure region: the same as the azd environment\'s AZURE_LOCATION (a resource group cannot change region).')
param location string = deployment().location

@minLength(1)
@maxLength(63)
@description('The server administrator, which owns the schema: the migration worker connects as it. Not admin, administrator, root, guest, public, azure_superuser, azure_pg_admin, nor starting with pg_.')
param administratorLogin string = 'crmowner'

@secure()
@minLength(8)
@maxLength(128)
@description('The administrator\'s password (8 to 128 characters from three of: upper case, lower case, digits, symbols). Keep ; \' " out of it: it goes into a connection string.')
param administratorLoginPassword string

@allowed([
  '15'
  '16'
])
@description('The PostgreSQL major version.')
param postgresVersion string = '16'

@description('The compute size. Standard_B1ms (1 vCore, 2 GiB, Burstable) is the smallest.')
param skuName string = 'Standard_B1ms'

@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
@description('The tier of skuName.')
param skuTier string = 'Burstable'

@minValue(32)
@description('Provisioned storage in GiB (32 is the smallest; it can grow later, never shrink).')
param storageSizeGB int = 32

@description('Adds the firewall rule 0.0.0.0 that admits connections from any Azure service, which is how Container Apps without a virtual network reach the server (see docs/deploy.md, "Network access").')
param allowAzureServices bool = true

var tags = {
  'azd-env-name': environmentName
}

// The same name and tag as the resource group azd's generated main.bicep creates, so that azd finds one resource
// group for the environment, deploys the container apps next to the server and `azd down` removes both.
resource rg 'Microsoft.Resources/resourceGroups@2022-09-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module postgres 'postgres/flexible-server.bicep' = {
  name: 'crm-postgres'
  scope: rg
  params: {
    location: location
    tags: tags
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorLoginPassword
    postgresVersion: postgresVersion
    skuName: skuName
    skuTier: skuTier
    storageSizeGB: storageSizeGB
    allowAzureServices: allowAzureServices
  }
}

// Every setting of a connection string but the password. Azure requires TLS (require_secure_transport is on).
var connectionSettings = 'Host=${postgres.outputs.fqdn};Port=5432;Database=${postgres.outputs.databaseName};SSL Mode=Require'

@description('The resource group of the server and of the app.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('The server\'s name, for az postgres flexible-server commands.')
output POSTGRES_SERVER_NAME string = postgres.outputs.name

@description('The server\'s host name.')
output POSTGRES_FQDN string = postgres.outputs.fqdn

@description('The database the app uses.')
output POSTGRES_DATABASE string = postgres.outputs.databaseName

@description('The administrator (the schema owner the migration worker connects as).')
output POSTGRES_ADMIN_LOGIN string = administratorLogin

@description('AppHost parameter crm (the owner, for the migration worker) is this followed by ;Password=<administrator password>.')
output CRM_CONNECTION_STRING_BASE string = '${connectionSettings};Username=${administratorLogin}'

@description('AppHost parameter crmapp (the application role crm_app, for the API) is this followed by ;Password=<a new password for crm_app>. The migration worker creates the role with that password.')
output CRM_APP_CONNECTION_STRING_BASE string = '${connectionSettings};Username=crm_app'
