/**
 * What a run leaves on RDS so that running the same command again can tell its own work from
 * everything else: every copy is created with the run's tags, and every target instance is tagged
 * before it is renamed away. Tags survive renames, so describe alone says where a run stands.
 *
 * The run id is derived from the target root's DbiResourceId (which never changes, even through
 * a rename), so a re-run computes the same id without any state kept on the machine.
 */
import type { DBInstance, Environment, Tag } from './domain.js'
import { replicaForest, replicaTree, treeIds } from './forest.js'

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

/** A run's own instances, as describe shows them now. */
export interface RunFootprint {
  readonly run: string
  /** copy-of → the copy's current identifier */
  readonly copies: ReadonlyMap<string, DBInstance>
  /** original identifier → the original's current identifier (it may be old-…) */
  readonly originals: ReadonlyMap<string, DBInstance>
}

export const footprint = (env: Environment, run: string): RunFootprint => {
  const copies = new Map<string, DBInstance>()
  const originals = new Map<string, DBInstance>()
  for (const i of env.instances) {
    const tags = tagsOf(env, i)
    if (tagValue(tags, TAG_RUN) !== run) continue
    const copyOf = tagValue(tags, TAG_COPY_OF)
    const from = tagValue(tags, TAG_RENAMED_FROM)
    // renamed away first: a target that an earlier run made still carries that run's copy-of tag
    if (from !== undefined) originals.set(from, i)
    else if (copyOf !== undefined) copies.set(copyOf, i)
  }
  return { run, copies, originals }
}

/** A run is under way while anything it created or renamed away is still not in its final place. */
const unfinished = (env: Environment, run: string): boolean => {
  const f = footprint(env, run)
  return (
    [...f.originals.values()].length > 0 ||
    [...f.copies].some(([copyOf, i]) => i.DBInstanceIdentifier !== copyOf)
  )
}

/**
 * The world as it was before the run `run` began: its copies left out, and what it renamed away
 * back under the original names. Planning on this gives the run's whole plan again.
 */
export const beforeRun = (env: Environment, run: string): Environment => {
  const f = footprint(env, run)
  const copyIds = new Set([...f.copies.values()].map((i) => i.DBInstanceIdentifier))
  const back = new Map([...f.originals].map(([original, now]) => [now.DBInstanceIdentifier, original]))
  const name = (id: string) => back.get(id) ?? id
  const instances = env.instances
    .filter((i) => !copyIds.has(i.DBInstanceIdentifier))
    .map((i): DBInstance => {
      const { ReadReplicaSourceDBInstanceIdentifier: parent, ...rest } = i
      return {
        ...rest,
        DBInstanceIdentifier: name(i.DBInstanceIdentifier),
        ...(i.DBInstanceArn === undefined ? {} : { DBInstanceArn: i.DBInstanceArn.replace(/:db:[^:]+$/, `:db:${name(i.DBInstanceIdentifier)}`) }),
        ...(parent === undefined || copyIds.has(parent) ? {} : { ReadReplicaSourceDBInstanceIdentifier: name(parent) }),
        ReadReplicaDBInstanceIdentifiers: (i.ReadReplicaDBInstanceIdentifiers ?? []).filter((r) => !copyIds.has(r)).map(name),
      }
    })
  const tags = Object.fromEntries(
    env.instances
      .filter((i) => !copyIds.has(i.DBInstanceIdentifier))
      .map((i) => [name(i.DBInstanceIdentifier), tagsOf(env, i).filter((t) => t.Key !== TAG_RENAMED_FROM && !(t.Key === TAG_RUN && t.Value === run))]),
  )
  return { ...env, instances, tags }
}

/**
 * Which run, if any, is under way for `target`: the original root is found under its own name
 * or, once renamed away, by its renamed-from tag.
 */
export const runInProgress = (env: Environment, source: string, target: string): { readonly run: string; readonly original: Environment } | undefined => {
  const candidates = new Set<string>()
  for (const i of env.instances) {
    const run = tagValue(tagsOf(env, i), TAG_RUN)
    if (run !== undefined) candidates.add(run)
  }
  for (const run of candidates) {
    if (!unfinished(env, run)) continue
    const original = beforeRun(env, run)
    const root = original.instances.find((i) => i.DBInstanceIdentifier === target)
    if (root !== undefined && runIdFor(source, root) === run) return { run, original }
  }
  return undefined
}

/** The identifiers of the target tree in an environment (root first). */
export const targetTreeIds = (env: Environment, target: string): ReadonlyArray<string> => {
  const tree = replicaTree(replicaForest(env.instances), target)
  return tree === undefined ? [] : treeIds(tree)
}
