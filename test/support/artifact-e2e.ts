/**
 * Test support for the artifact's end-to-end suites (test/image/artifact-*.test.ts): the source cluster as a user
 * would have it in moto, the INI in the seed's keys, and the `podman run` options that reach moto from the container.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CreateDBClusterCommand, CreateDBInstanceCommand, CreateDBSubnetGroupCommand, DescribeDBClustersCommand, type Tag } from '@aws-sdk/client-rds'
import { createSubnets } from './moto.js'
import { REGION, sdk } from './moto-e2e.js'

export interface SourceCluster {
  readonly id: string
  readonly masterUsername: string
  readonly port: number
  readonly tags: ReadonlyArray<Tag>
}

/** The source: an Aurora PostgreSQL cluster in its own subnet group (shop-db-subnets) over three zones, with a writer. */
export const seedSourceCluster = async (endpoint: string, source: SourceCluster): Promise<void> => {
  const subnets = await createSubnets(endpoint, REGION, 3)
  const rds = sdk({ endpoint } as Parameters<typeof sdk>[0])
  try {
    await rds.send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: 'shop-db-subnets', DBSubnetGroupDescription: 'shop', SubnetIds: subnets }))
    await rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: source.id,
        Engine: 'aurora-postgresql',
        EngineVersion: '16.4',
        MasterUsername: source.masterUsername,
        MasterUserPassword: 'not-a-real-secret-1',
        DatabaseName: 'shop',
        DBSubnetGroupName: 'shop-db-subnets',
        Port: source.port,
        BackupRetentionPeriod: 7,
        StorageEncrypted: true,
        Tags: [...source.tags],
      }),
    )
    await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: `${source.id}-1`, DBClusterIdentifier: source.id, DBInstanceClass: 'db.r6g.2xlarge', Engine: 'aurora-postgresql' }))
    // moto shows a new cluster as creating once, then available
    await rds.send(new DescribeDBClustersCommand({}))
  } finally {
    rds.destroy()
  }
}

/** An artifact.ini in `dir`: the seed's sections, each given as its `key = value` lines. */
export const writeArtifactIni = (dir: string, sections: { readonly source: ReadonlyArray<string>; readonly target: ReadonlyArray<string>; readonly tag: string }): string => {
  const path = join(dir, 'artifact.ini')
  writeFileSync(path, ['[source_db]', ...sections.source, '', '[target_db]', ...sections.target, '', '[artifact]', `tag = ${sections.tag}`, ''].join('\n'))
  return path
}

/** `podman run` options for the artifact against moto: read-only, host network, as 10001, moto's endpoint and dummy keys. */
export const runAgainstMoto = (endpoint: string): string[] => [
  'run', '--rm', '-i', '--network', 'host', '--read-only', '--user', '10001:10001',
  '-e', `AWS_ENDPOINT_URL=${endpoint}`, '-e', `AWS_REGION=${REGION}`, '-e', 'AWS_ACCESS_KEY_ID=testing', '-e', 'AWS_SECRET_ACCESS_KEY=testing',
]
