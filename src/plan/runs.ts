/**
 * What a run leaves on RDS so that running the same command again can tell its own work from
 * everything else: every copy is created with the run's tags, and every target instance (and, for
 * an Aurora clone, the target cluster) is tagged before it is renamed away. Tags survive renames,
 * so describe alone says where a run stands, and the world as it was before the run began can be
 * rebuilt from describe and the same plan made again. Pure.
 *
 * The run id is derived from the target's resource id (DbiResourceId, DbClusterResourceId: they
 * never change, even through a rename), so a re-run computes the same id without any state kept
 * on the machine.
 */
import type { DBCluster, DBInstance, Environment, Tag } from './domain.js'
import { replicaForest, replicaTree, treeIds } from './forest.js'
import type { PlanKind } from './plan.js'

export const TAG_RUN = 'mitosis:run'
export const TAG_SOURCE = 'mitosis:source'
export const TAG_COPY_OF = 'mitosis:copy-of'
export const TAG_RENAMED_FROM = 'mitosis:renamed-from'
export const TAG_RESTARTED = 'mitosis:restarted'
export const TAG_PREFIX = 'mitosis:'

/** 32-bit FNV-1a, as hex: a short stable digest (pure; not for security). */
export const fnv1a = (text: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

/** The id of the run that replaces `targetRoot` with `source`'s data. */
export const runIdFor = (source: string, targetRoot: DBInstance): string =>
  `r${fnv1a(`${source}\n${targetRoot.DBInstanceIdentifier}\n${targetRoot.DbiResourceId ?? targetRoot.DBInstanceArn ?? targetRoot.InstanceCreateTime ?? ''}`)}`

/** The id of the Aurora run that replaces `target` with `source`'s data: from the target's DbClusterResourceId, which renames keep. */
export const clusterRunIdFor = (source: string, target: DBCluster): string =>
  `r${fnv1a(`cluster\n${source}\n${target.DBClusterIdentifier}\n${target.DbClusterResourceId ?? target.DBClusterArn ?? target.ClusterCreateTime ?? ''}`)}`

/** The id of the run that clones `source` into a new cluster `target`: stable, so a re-run finds its own cluster. */
export const newClusterRunIdFor = (source: string, target: string): string => `r${fnv1a(`new-cluster\n${source}\n${target}`)}`

/** The id of the run that creates `target` like `source`: stable, so a re-run finds its own cluster. */
export const createRunIdFor = (source: string, target: string): string => `r${fnv1a(`create\n${source}\n${target}`)}`

export const tagValue = (tags: ReadonlyArray<Tag> | undefined, key: string): string | undefined => tags?.find((t) => t.Key === key)?.Value

export const tagsOf = (env: Environment, i: DBInstance): ReadonlyArray<Tag> => env.tags[i.DBInstanceIdentifier] ?? i.TagList ?? []

/** Tags of a copy: the run, the source, and which target instance it replaces. */
export const copyTags = (run: string, source: string, copyOf: string): Tag[] => [
  { Key: TAG_RUN, Value: run },
  { Key: TAG_SOURCE, Value: source },
  { Key: TAG_COPY_OF, Value: copyOf },
]

export const renamedTags = (run: string, from: string): Tag[] => [
  { Key: TAG_RUN, Value: run },
  { Key: TAG_RENAMED_FROM, Value: from },
]

/** A run's own resources of one kind (instances or clusters), as describe shows them now. */
interface Footprint<R> {
  readonly run: string
  /** copy-of → the copy as it is now */
  readonly copies: ReadonlyMap<string, R>
  /** original identifier → the original as it is now (it may be old-…) */
  readonly originals: ReadonlyMap<string, R>
}

/** A run's own instances, as describe shows them now. */
export type RunFootprint = Footprint<DBInstance>
/** A run's own clusters: the clone cluster and the target cluster it renamed away. */
export type ClusterFootprint = Footprint<DBCluster>

const footprintOf = <R>(resources: ReadonlyArray<R>, tags: (r: R) => ReadonlyArray<Tag> | undefined, run: string): Footprint<R> => {
  const copies = new Map<string, R>()
  const originals = new Map<string, R>()
  for (const r of resources) {
    const own = tags(r)
    if (tagValue(own, TAG_RUN) !== run) continue
    const copyOf = tagValue(own, TAG_COPY_OF)
    const from = tagValue(own, TAG_RENAMED_FROM)
    // renamed away first: a target that an earlier run made still carries that run's copy-of tag
    if (from !== undefined) originals.set(from, r)
    else if (copyOf !== undefined) copies.set(copyOf, r)
  }
  return { run, copies, originals }
}

export const footprint = (env: Environment, run: string): RunFootprint => footprintOf(env.instances, (i) => tagsOf(env, i), run)

export const clusterFootprint = (env: Environment, run: string): ClusterFootprint => footprintOf(env.clusters ?? [], (c) => c.TagList, run)

/** A run is under way while anything it created or renamed away is still not in its final place. */
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

/** The run's own tags taken off: what it renamed away loses its renamed-from and run tags. */
const withoutRun = (tags: ReadonlyArray<Tag>, run: string): Tag[] => tags.filter((t) => t.Key !== TAG_RENAMED_FROM && !(t.Key === TAG_RUN && t.Value === run))

/** How a run's footprint is undone by name: its copies left out, what it renamed away under its original name. */
const undo = <R>(f: Footprint<R>, idOf: (r: R) => string) => {
  const copies = new Set([...f.copies.values()].map(idOf))
  const back = new Map([...f.originals].map(([original, now]) => [idOf(now), original]))
  return { isCopy: (id: string) => copies.has(id), name: (id: string) => back.get(id) ?? id }
}

/**
 * The world as it was before the instance run `run` began: its copies left out, and what it
 * renamed away back under the original names. Planning on this gives the run's whole plan again.
 */
export const beforeRun = (env: Environment, run: string): Environment => {
  const { isCopy, name } = undo(footprint(env, run), (i) => i.DBInstanceIdentifier)
  const instances = env.instances
    .filter((i) => !isCopy(i.DBInstanceIdentifier))
    .map((i): DBInstance => {
      const { ReadReplicaSourceDBInstanceIdentifier: parent, ...rest } = i
      return {
        ...rest,
        DBInstanceIdentifier: name(i.DBInstanceIdentifier),
        ...(i.DBInstanceArn === undefined ? {} : { DBInstanceArn: i.DBInstanceArn.replace(/:db:[^:]+$/, `:db:${name(i.DBInstanceIdentifier)}`) }),
        ...(parent === undefined || isCopy(parent) ? {} : { ReadReplicaSourceDBInstanceIdentifier: name(parent) }),
        ReadReplicaDBInstanceIdentifiers: (i.ReadReplicaDBInstanceIdentifiers ?? []).filter((r) => !isCopy(r)).map(name),
      }
    })
  const tags = Object.fromEntries(
    env.instances.filter((i) => !isCopy(i.DBInstanceIdentifier)).map((i) => [name(i.DBInstanceIdentifier), withoutRun(tagsOf(env, i), run)]),
  )
  return { ...env, instances, tags }
}

/**
 * The world as it was before the Aurora run `run` began: its clone cluster and instances left out,
 * and what it renamed away back under the original names, without the run's tags.
 */
export const beforeClusterRun = (env: Environment, run: string): Environment => {
  const cluster = undo(clusterFootprint(env, run), (x) => x.DBClusterIdentifier)
  const instance = undo(footprint(env, run), (x) => x.DBInstanceIdentifier)
  const clusters = (env.clusters ?? [])
    .filter((x) => !cluster.isCopy(x.DBClusterIdentifier))
    .map((x): DBCluster => {
      const id = cluster.name(x.DBClusterIdentifier)
      return {
        ...x,
        DBClusterIdentifier: id,
        ...(x.DBClusterArn === undefined ? {} : { DBClusterArn: x.DBClusterArn.replace(/:cluster:[^:]+$/, `:cluster:${id}`) }),
        ...(x.DBClusterMembers === undefined
          ? {}
          : { DBClusterMembers: x.DBClusterMembers.filter((m) => !instance.isCopy(m.DBInstanceIdentifier)).map((m) => ({ ...m, DBInstanceIdentifier: instance.name(m.DBInstanceIdentifier) })) }),
        ...(x.TagList === undefined ? {} : { TagList: withoutRun(x.TagList, run) }),
      }
    })
  const kept = env.instances.filter((x) => !instance.isCopy(x.DBInstanceIdentifier))
  const instances = kept.map((x): DBInstance => {
    const id = instance.name(x.DBInstanceIdentifier)
    return {
      ...x,
      DBInstanceIdentifier: id,
      ...(x.DBInstanceArn === undefined ? {} : { DBInstanceArn: x.DBInstanceArn.replace(/:db:[^:]+$/, `:db:${id}`) }),
      ...(x.DBClusterIdentifier === undefined ? {} : { DBClusterIdentifier: cluster.name(x.DBClusterIdentifier) }),
      ...(x.TagList === undefined ? {} : { TagList: withoutRun(x.TagList, run) }),
    }
  })
  const tags = Object.fromEntries(kept.map((x) => [instance.name(x.DBInstanceIdentifier), withoutRun(tagsOf(env, x), run)]))
  return { ...env, clusters, instances, tags }
}

/**
 * The world as it was before the clone into a new cluster `run` began: its cluster and instances left out
 * (beforeClusterRun), and the subnet group it made (its mitosis:run tag says so).
 */
export const beforeNewClusterRun = (env: Environment, run: string): Environment => {
  const before = beforeClusterRun(env, run)
  return env.subnetGroups === undefined ? before : { ...before, subnetGroups: env.subnetGroups.filter((g) => tagValue(g.TagList, TAG_RUN) !== run) }
}

export interface RunUnderWay {
  readonly run: string
  readonly original: Environment
}

/**
 * Which run, if any, is under way for `target`: of the run tags in `runs`, each run still
 * unfinished, whose world before it began has `target` (found under its own name or, once renamed
 * away, by its renamed-from tag) with the run id this source and target give.
 */
const underWay = (runs: Iterable<string | undefined>, env: Environment, isRun: (run: string, original: Environment) => boolean, before: (env: Environment, run: string) => Environment): RunUnderWay | undefined => {
  for (const run of new Set(runs)) {
    if (run === undefined || !unfinished(env, run)) continue
    const original = before(env, run)
    if (isRun(run, original)) return { run, original }
  }
  return undefined
}

/** Which instance run, if any, is under way for the target tree rooted at `target`. */
export const runInProgress = (env: Environment, source: string, target: string): RunUnderWay | undefined =>
  underWay(
    env.instances.map((i) => tagValue(tagsOf(env, i), TAG_RUN)),
    env,
    (run, original) => {
      const root = original.instances.find((i) => i.DBInstanceIdentifier === target)
      return root !== undefined && runIdFor(source, root) === run
    },
    beforeRun,
  )

/** Which Aurora run, if any, is under way for the target cluster `target`. */
export const clusterRunInProgress = (env: Environment, source: string, target: string): RunUnderWay | undefined =>
  underWay(
    (env.clusters ?? []).map((c) => tagValue(c.TagList, TAG_RUN)),
    env,
    (run, original) => {
      const root = (original.clusters ?? []).find((c) => c.DBClusterIdentifier === target)
      return root !== undefined && clusterRunIdFor(source, root) === run
    },
    beforeClusterRun,
  )

/**
 * The world as a plan of any kind was made on it: before its run, when one is under way (a create's
 * cluster is found by its run id, so its world needs no undoing; a clone into a new cluster is planned on
 * the world without what its run made, which is the world before it whether the run is under way, done
 * or not begun).
 */
export const worldBeforeRun = (env: Environment, plan: { readonly kind: PlanKind; readonly run: string; readonly source: string; readonly target: string }): Environment => {
  switch (plan.kind) {
    case 'create':
      return env
    case 'new-cluster':
      return beforeNewClusterRun(env, plan.run)
    case 'replica-tree':
      return runInProgress(env, plan.source, plan.target)?.original ?? env
    case 'aurora-cluster':
      return clusterRunInProgress(env, plan.source, plan.target)?.original ?? env
  }
}

/** The identifiers of the target tree in an environment (root first). */
export const targetTreeIds = (env: Environment, target: string): ReadonlyArray<string> => {
  const tree = replicaTree(replicaForest(env.instances), target)
  return tree === undefined ? [] : treeIds(tree)
}
