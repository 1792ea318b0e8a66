/**
 * Re-running an Aurora clone: its run tags (on the clone cluster and its instances, and on the
 * target cluster and instances it renamed away) say where it stands, so the world as it was before
 * the run began can be rebuilt from describe alone, and the same plan made again. Pure.
 */
import type { DBCluster, DBInstance, Environment } from './domain.js'
import { footprint, tagsOf, tagValue, TAG_COPY_OF, TAG_RENAMED_FROM, TAG_RUN } from './runs.js'
import { clusterRunIdFor } from './cluster.js'

export interface ClusterFootprint {
  readonly run: string
  /** copy-of → the clone cluster as it is now */
  readonly copies: ReadonlyMap<string, DBCluster>
  /** original identifier → the original cluster as it is now (it may be old-…) */
  readonly originals: ReadonlyMap<string, DBCluster>
}

export const clusterFootprint = (env: Environment, run: string): ClusterFootprint => {
  const copies = new Map<string, DBCluster>()
  const originals = new Map<string, DBCluster>()
  for (const c of env.clusters ?? []) {
    if (tagValue(c.TagList, TAG_RUN) !== run) continue
    const copyOf = tagValue(c.TagList, TAG_COPY_OF)
    const from = tagValue(c.TagList, TAG_RENAMED_FROM)
    // renamed away first: a target that an earlier run made still carries that run's copy-of tag
    if (from !== undefined) originals.set(from, c)
    else if (copyOf !== undefined) copies.set(copyOf, c)
  }
  return { run, copies, originals }
}

const unfinished = (env: Environment, run: string): boolean => {
  const c = clusterFootprint(env, run)
  const i = footprint(env, run)
  return (
    c.originals.size > 0 ||
    i.originals.size > 0 ||
    [...c.copies].some(([copyOf, x]) => x.DBClusterIdentifier !== copyOf) ||
    [...i.copies].some(([copyOf, x]) => x.DBInstanceIdentifier !== copyOf)
  )
}

/**
 * The world as it was before the run `run` began: its clone cluster and instances left out, and
 * what it renamed away back under the original names, without the run's tags.
 */
export const beforeClusterRun = (env: Environment, run: string): Environment => {
  const c = clusterFootprint(env, run)
  const i = footprint(env, run)
  const copyClusters = new Set([...c.copies.values()].map((x) => x.DBClusterIdentifier))
  const copyInstances = new Set([...i.copies.values()].map((x) => x.DBInstanceIdentifier))
  const clusterBack = new Map([...c.originals].map(([original, now]) => [now.DBClusterIdentifier, original]))
  const instanceBack = new Map([...i.originals].map(([original, now]) => [now.DBInstanceIdentifier, original]))
  const clusterName = (id: string) => clusterBack.get(id) ?? id
  const instanceName = (id: string) => instanceBack.get(id) ?? id
  const ownTags = (tags: DBCluster['TagList']) => (tags ?? []).filter((t) => t.Key !== TAG_RENAMED_FROM && !(t.Key === TAG_RUN && t.Value === run))
  const clusters = (env.clusters ?? [])
    .filter((x) => !copyClusters.has(x.DBClusterIdentifier))
    .map((x): DBCluster => {
      const id = clusterName(x.DBClusterIdentifier)
      return {
        ...x,
        DBClusterIdentifier: id,
        ...(x.DBClusterArn === undefined ? {} : { DBClusterArn: x.DBClusterArn.replace(/:cluster:[^:]+$/, `:cluster:${id}`) }),
        ...(x.DBClusterMembers === undefined
          ? {}
          : { DBClusterMembers: x.DBClusterMembers.filter((m) => !copyInstances.has(m.DBInstanceIdentifier)).map((m) => ({ ...m, DBInstanceIdentifier: instanceName(m.DBInstanceIdentifier) })) }),
        ...(x.TagList === undefined ? {} : { TagList: ownTags(x.TagList) }),
      }
    })
  const kept = env.instances.filter((x) => !copyInstances.has(x.DBInstanceIdentifier))
  const instances = kept.map((x): DBInstance => {
    const id = instanceName(x.DBInstanceIdentifier)
    return {
      ...x,
      DBInstanceIdentifier: id,
      ...(x.DBInstanceArn === undefined ? {} : { DBInstanceArn: x.DBInstanceArn.replace(/:db:[^:]+$/, `:db:${id}`) }),
      ...(x.DBClusterIdentifier === undefined ? {} : { DBClusterIdentifier: clusterName(x.DBClusterIdentifier) }),
      ...(x.TagList === undefined ? {} : { TagList: ownTags(x.TagList) }),
    }
  })
  const tags = Object.fromEntries(kept.map((x) => [instanceName(x.DBInstanceIdentifier), ownTags([...tagsOf(env, x)])]))
  return { ...env, clusters, instances, tags }
}

/**
 * Which run, if any, is under way for the target cluster: found under its own name or, once
 * renamed away, by its renamed-from tag; the run id must be the one this source and target give.
 */
export const clusterRunInProgress = (
  env: Environment,
  source: string,
  target: string,
): { readonly run: string; readonly original: Environment } | undefined => {
  const candidates = new Set<string>()
  for (const c of env.clusters ?? []) {
    const run = tagValue(c.TagList, TAG_RUN)
    if (run !== undefined) candidates.add(run)
  }
  for (const run of candidates) {
    if (!unfinished(env, run)) continue
    const original = beforeClusterRun(env, run)
    const root = (original.clusters ?? []).find((c) => c.DBClusterIdentifier === target)
    if (root !== undefined && clusterRunIdFor(source, root) === run) return { run, original }
  }
  return undefined
}
