// The flexible server itself (resource group scope); infra/postgres.bicep creates the resource group and calls it.

@description('The Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('The server administrator.')
param administratorLogin string

@secure()
@description('The administrator\'s password.')
param administratorLoginPassword string

@description('The PostgreSQL major version.')
param postgresVersion string

@description('The compute size.')
param skuName string

@description('The tier of skuName.')
param skuTier string

@description('Provisioned storage in GiB.')
param storageSizeGB int

@description('Whether to admit connections from any Azure service (firewall rule 0.0.0.0).')
param allowAzureServices bool

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: take('psql-${uniqueString(resourceGroup().id)}', 63)
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: postgresVersion
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorLoginPassword
    // Password authentication only: the app's two roles log in with passwords held as Container Apps secrets.
    authConfig: {
      passwordAuth: 'Enabled'
      activeDirectoryAuth: 'Disabled'
    }
    storage: {
      storageSizeGB: storageSizeGB
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    // Public access, guarded by the firewall rules below (no virtual network: see docs/deploy.md).
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

// The database the AppHost's connection strings name; the migration worker creates the schema in it.
resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: 'crm'
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// Start and end 0.0.0.0 is Azure's special rule for "any Azure service", the only way a Container Apps
// environment without a virtual network (whose outbound addresses are not fixed) reaches the server.
resource allowAzureServicesRule 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = if (allowAzureServices) {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

output name string = server.name
output fqdn string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
