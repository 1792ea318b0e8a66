/**
 * The predicted world: what the predictor holds while it applies a plan step by step. One world for every
 * kind of plan: instances (each with its replica link and its Aurora cluster, if any), clusters (with
 * their IAM roles) and subnet groups, read off describe once. Pure.
 */
import type { Environment } from '../domain.js'
import { replicaForest } from '../forest.js'
import type { NewPassword, Settings } from '../operations.js'
import { clusterRoles, clusterSettings, instanceSettings, memberSettings, roleKey, type ClusterSettings, type MemberSettings } from '../settings.js'

/**
 * An instance as the predictor sees it: its settings under the request names that set them (an Aurora
 * cluster's member has a member's settings, which CreateDBInstance takes; any other instance an
 * instance's), its replica link, its cluster, and whose data it holds.
 */
export interface PredictedInstance {
  readonly id: string
  readonly engine: string
  readonly engineVersion: string | undefined
  readonly settings: Settings & MemberSettings
  readonly replicaSource: string | undefined
  /** The identifier, at planning time, of the instance (or cluster) whose data this one holds. */
  readonly dataFrom: string
  /** The planning-time identifier of the instance this one is (it keeps it through renames). */
  readonly origin: string
  /** The origin of the Aurora cluster it belongs to (membership survives the cluster's renames), if any. */
  readonly cluster: string | undefined
  /** Whether it is its cluster's writer. */
  readonly writer: boolean
  /** Set by the plan: a new master password of the user's (`secret`) or kept by Secrets Manager (`managed`). */
  readonly password?: NewPassword
}

export interface PredictedCluster {
  readonly id: string
  readonly engine: string
  /** The planning-time identifier of the cluster this one is (kept through renames). */
  readonly origin: string
  /** The planning-time identifier of the cluster whose data this one holds (a new, empty one: its own). */
  readonly dataFrom: string
  readonly settings: ClusterSettings
  readonly roles: ReadonlyArray<string>
  /** Set by the plan: a new master password (`secret`) or one RDS keeps in Secrets Manager (`managed`). */
  readonly password?: NewPassword
}

export interface PredictedWorld {
  readonly instances: ReadonlyMap<string, PredictedInstance>
  readonly clusters: ReadonlyMap<string, PredictedCluster>
  /** Subnet group names, in lower case: RDS compares them so. */
  readonly subnetGroups: ReadonlySet<string>
}

export const initialState = (env: Environment): PredictedWorld => {
  const clusters = new Map<string, PredictedCluster>()
  const memberOf = new Map<string, { cluster: string; writer: boolean; tier: number | undefined }>()
  for (const c of env.clusters ?? []) {
    clusters.set(c.DBClusterIdentifier, {
      id: c.DBClusterIdentifier,
      engine: c.Engine,
      origin: c.DBClusterIdentifier,
      dataFrom: c.DBClusterIdentifier,
      settings: clusterSettings(c),
      roles: clusterRoles(c).map(roleKey).sort(),
    })
    for (const m of c.DBClusterMembers ?? []) memberOf.set(m.DBInstanceIdentifier, { cluster: c.DBClusterIdentifier, writer: m.IsClusterWriter, tier: m.PromotionTier })
  }
  const forest = replicaForest(env.instances)
  const instances = new Map<string, PredictedInstance>()
  for (const i of env.instances) {
    const id = i.DBInstanceIdentifier
    const m = memberOf.get(id)
    const cluster = m?.cluster ?? i.DBClusterIdentifier
    const tags = env.tags[id] ?? i.TagList ?? []
    const member = m === undefined ? undefined : { DBInstanceIdentifier: id, IsClusterWriter: m.writer, ...(m.tier === undefined ? {} : { PromotionTier: m.tier }) }
    instances.set(id, {
      id,
      engine: i.Engine,
      engineVersion: i.EngineVersion,
      settings: cluster === undefined ? instanceSettings(i, tags) : memberSettings(i, member, tags),
      replicaSource: forest.parentOf(id),
      // an Aurora member holds its cluster's data
      dataFrom: cluster ?? id,
      origin: id,
      cluster,
      writer: m?.writer ?? false,
    })
  }
  const subnetGroups = new Set((env.subnetGroups ?? []).map((g) => g.DBSubnetGroupName.toLowerCase()))
  return { instances, clusters, subnetGroups }
}

/** The world without some names: what a create's names rule judges on its own (see end-state.ts). */
export const without = (world: PredictedWorld, names: { readonly instances: ReadonlyArray<string>; readonly clusters: ReadonlyArray<string>; readonly subnetGroups: ReadonlyArray<string> }): PredictedWorld => ({
  instances: new Map([...world.instances].filter(([id]) => !names.instances.includes(id))),
  clusters: new Map([...world.clusters].filter(([id]) => !names.clusters.includes(id))),
  subnetGroups: new Set([...world.subnetGroups].filter((g) => !names.subnetGroups.some((n) => n.toLowerCase() === g))),
})
