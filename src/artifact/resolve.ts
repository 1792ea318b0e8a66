/**
 * Resolving an artifact config's `source` values against the world: the subnets (the source cluster's
 * DB subnet group, with its VPC) and security groups (the source's active VpcSecurityGroups); then the
 * checks the build makes before it plans: the subnets span two Availability Zones at least, and a
 * changelog given is an existing file. Reads only.
 */
import { existsSync, statSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { ArtifactConfig } from './config.js'
import { renderRdsError, type RdsPort } from '../interpret/capabilities.js'

/**
 * The Availability Zone of each subnet id, for an explicit subnet list (DescribeDBSubnetGroups tells
 * the zones only for a group's own subnets). An AWS implementation would ask EC2 DescribeSubnets; the
 * simulator's answers from the fixture's subnet groups.
 */
export interface SubnetZones {
  readonly zonesOf: (ids: ReadonlyArray<string>) => TE.TaskEither<string, ReadonlyMap<string, string>>
}

/** Zones from the subnet groups RDS describes (the fixture's on the simulator): those groups' subnets only. */
export const subnetZonesFromGroups = (rds: RdsPort, groups: ReadonlyArray<string>): SubnetZones => ({
  zonesOf: (ids) =>
    pipe(
      TE.sequenceArray(groups.map((g) => rds.describeDBSubnetGroups(g))),
      TE.mapLeft(renderRdsError),
      TE.map((found) => {
        const zones = new Map<string, string>()
        for (const group of found.flat()) for (const s of group.Subnets ?? []) if (s.SubnetIdentifier !== undefined && s.SubnetAvailabilityZone?.Name !== undefined) zones.set(s.SubnetIdentifier, s.SubnetAvailabilityZone.Name)
        return new Map([...zones].filter(([id]) => ids.includes(id)))
      }),
    ),
})

export interface ResolvedTarget {
  /** The subnet group to use (`source`) or the subnet ids for a new one. */
  readonly subnets: { readonly group: string } | { readonly ids: ReadonlyArray<string> }
  readonly subnetIds: ReadonlyArray<string>
  readonly vpcId: string | undefined
  readonly zones: ReadonlyArray<string>
  readonly securityGroups: ReadonlyArray<string>
  /** Whether target_db_cluster_id exists now (clone: swap into it; else a restore into a new cluster). */
  readonly targetExists: boolean
}

const fail = (message: string): TE.TaskEither<string, never> => TE.left(message)

/** The subnets' zones: two at least, or the line that says why not. */
export const checkZones = (file: string, subnetIds: ReadonlyArray<string>, zones: ReadonlyMap<string, string>): E.Either<string, ReadonlyArray<string>> => {
  const unknown = subnetIds.filter((id) => !zones.has(id))
  if (unknown.length > 0) return E.left(`${file}: [target_db] subnet_ids: no Availability Zone known for ${unknown.join(', ')} (no such subnet?)`)
  const distinct = [...new Set(subnetIds.map((id) => zones.get(id)!))].sort()
  if (distinct.length < 2) return E.left(`${file}: [target_db] subnet_ids: the subnets are all in ${distinct[0] ?? 'no zone'}; an Aurora cluster needs subnets in at least two Availability Zones`)
  return E.right(distinct)
}

/** A changelog given must be an existing file. */
export const checkChangelog = (config: ArtifactConfig): E.Either<string, void> => {
  const path = config.source.changelog
  if (path === undefined) return E.right(undefined)
  if (!existsSync(path)) return E.left(`${config.file}: [source_db] liquibase_changelog_path: no such file ${path}`)
  if (!statSync(path).isFile()) return E.left(`${config.file}: [source_db] liquibase_changelog_path: ${path} is not a file`)
  return E.right(undefined)
}

export const resolveTarget = (rds: RdsPort, config: ArtifactConfig, zonesFor: (rds: RdsPort, sourceGroup: string | undefined) => SubnetZones): TE.TaskEither<string, ResolvedTarget> =>
  pipe(
    rds.describeDBClusters(),
    TE.mapLeft(renderRdsError),
    TE.chain((clusters) => {
      const source = clusters.find((c) => c.DBClusterIdentifier === config.source.cluster)
      if (source === undefined) return fail(`${config.file}: [source_db] source_db_cluster_id: no Aurora cluster ${config.source.cluster} in ${rds.region}`)
      const targetExists = clusters.some((c) => c.DBClusterIdentifier === config.target.cluster)
      const securityGroups =
        config.target.securityGroups.from === 'source'
          ? (source.VpcSecurityGroups ?? []).filter((g) => g.Status === 'active').map((g) => g.VpcSecurityGroupId)
          : config.target.securityGroups.ids
      const groupName = typeof source.DBSubnetGroup === 'string' ? source.DBSubnetGroup : undefined
      if (config.target.subnets.from === 'source') {
        if (groupName === undefined) return fail(`${config.file}: [target_db] subnet_ids = source: the source cluster ${source.DBClusterIdentifier} has no DB subnet group`)
        return pipe(
          rds.describeDBSubnetGroups(groupName),
          TE.mapLeft(renderRdsError),
          TE.chain((groups) => {
            const group = groups[0]
            if (group === undefined) return fail(`${config.file}: [target_db] subnet_ids = source: the source's DB subnet group ${groupName} was not found`)
            const subnetIds = (group.Subnets ?? []).flatMap((s) => (s.SubnetIdentifier === undefined ? [] : [s.SubnetIdentifier]))
            const zones = new Map((group.Subnets ?? []).flatMap((s) => (s.SubnetIdentifier !== undefined && s.SubnetAvailabilityZone?.Name !== undefined ? [[s.SubnetIdentifier, s.SubnetAvailabilityZone.Name] as const] : [])))
            return pipe(
              TE.fromEither(checkZones(config.file, subnetIds, zones)),
              TE.map((z): ResolvedTarget => ({ subnets: { group: groupName }, subnetIds, vpcId: group.VpcId, zones: z, securityGroups, targetExists })),
            )
          }),
        )
      }
      const ids = config.target.subnets.ids
      return pipe(
        zonesFor(rds, groupName).zonesOf(ids),
        TE.chain((zones) => TE.fromEither(checkZones(config.file, ids, zones))),
        TE.map((z): ResolvedTarget => ({ subnets: { ids }, subnetIds: ids, vpcId: undefined, zones: z, securityGroups, targetExists })),
      )
    }),
  )
