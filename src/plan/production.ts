/**
 * The production guard: a clone replaces its target and deletes the old one, so a target that its
 * tags call production (`environment`, `env` or `stage` = `prod` or `production`, in any case) is
 * refused unless the request allows it. What is judged is everything the clone would delete: the
 * target root instance and its replicas, or the target cluster and its member instances. Pure.
 */
import type { DBCluster, Environment, Tag } from './domain.js'
import type { Problem } from './problems.js'
import { replicaForest, replicaTree, treeIds } from './forest.js'
import { tagsOf } from './runs.js'

/** Tag keys that name an environment (compared in lower case). */
export const PRODUCTION_TAG_KEYS: ReadonlyArray<string> = ['environment', 'env', 'stage']
/** Values of those tags that mean production (compared in lower case). */
export const PRODUCTION_TAG_VALUES: ReadonlyArray<string> = ['prod', 'production']

/** The first tag that calls a resource production, as it is written; none when no tag does. */
export const productionTag = (tags: ReadonlyArray<Tag> | undefined): Tag | undefined =>
  (tags ?? []).find((t) => PRODUCTION_TAG_KEYS.includes(t.Key.trim().toLowerCase()) && PRODUCTION_TAG_VALUES.includes(t.Value.trim().toLowerCase()))

export type ProductionTarget = Extract<Problem, { readonly _tag: 'ProductionTarget' }>

/**
 * The refusal for a replica-tree target: the first instance of the tree (root first, then its
 * replicas breadth-first) that is tagged production; none when none is.
 */
export const productionTree = (env: Environment, target: string): ProductionTarget | undefined => {
  const forest = replicaForest(env.instances)
  const tree = replicaTree(forest, target)
  if (tree === undefined) return undefined
  for (const id of treeIds(tree)) {
    const tag = productionTag(tagsOf(env, forest.byId.get(id)!))
    if (tag !== undefined) return { _tag: 'ProductionTarget', target, tagged: id, relation: id === target ? 'self' : 'replica', key: tag.Key, value: tag.Value }
  }
  return undefined
}

/**
 * The refusal for an Aurora target: the cluster itself when it is tagged production, else the first
 * of its member instances (writer first, then by name) that is; none when none is.
 */
export const productionCluster = (env: Environment, cluster: DBCluster): ProductionTarget | undefined => {
  const target = cluster.DBClusterIdentifier
  const own = productionTag(cluster.TagList)
  if (own !== undefined) return { _tag: 'ProductionTarget', target, tagged: target, relation: 'self', key: own.Key, value: own.Value }
  const members = [...(cluster.DBClusterMembers ?? [])].sort(
    (a, b) => Number(b.IsClusterWriter) - Number(a.IsClusterWriter) || a.DBInstanceIdentifier.localeCompare(b.DBInstanceIdentifier),
  )
  for (const m of members) {
    const instance = env.instances.find((i) => i.DBInstanceIdentifier === m.DBInstanceIdentifier)
    const tag = instance === undefined ? undefined : productionTag(tagsOf(env, instance))
    if (tag !== undefined) return { _tag: 'ProductionTarget', target, tagged: m.DBInstanceIdentifier, relation: 'member', key: tag.Key, value: tag.Value }
  }
  return undefined
}

/**
 * The refusal for a saved plan's target (`mitosis apply FILE`), judged on `env` (the world as it was
 * before the plan's run, when one is under way): an Aurora cluster's or a replica tree's, as the
 * planner that made it judges.
 */
export const productionPlanTarget = (env: Environment, target: string, kind: 'instance' | 'cluster'): ProductionTarget | undefined => {
  if (kind === 'instance') return productionTree(env, target)
  const cluster = (env.clusters ?? []).find((c) => c.DBClusterIdentifier === target)
  return cluster === undefined ? undefined : productionCluster(env, cluster)
}
