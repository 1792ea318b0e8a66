/**
 * The replica forest: which instance replicates from which. Built from both sides of the link
 * (ReadReplicaSourceDBInstanceIdentifier on the replica, ReadReplicaDBInstanceIdentifiers on the
 * source) because either may be missing from a partial describe.
 */
import type { DBInstance } from './domain.js'

export interface ReplicaTree {
  readonly instance: DBInstance
  readonly replicas: ReadonlyArray<ReplicaTree>
}

export interface ReplicaForest {
  readonly byId: ReadonlyMap<string, DBInstance>
  readonly parentOf: (id: string) => string | undefined
  readonly replicasOf: (id: string) => ReadonlyArray<string>
}

export const replicaForest = (instances: ReadonlyArray<DBInstance>): ReplicaForest => {
  const byId = new Map(instances.map((i) => [i.DBInstanceIdentifier, i]))
  const parent = new Map<string, string>()
  const children = new Map<string, string[]>()
  const link = (source: string, replica: string) => {
    if (!byId.has(source) || !byId.has(replica) || parent.has(replica)) return
    parent.set(replica, source)
    children.set(source, [...(children.get(source) ?? []), replica])
  }
  for (const i of instances) {
    if (i.ReadReplicaSourceDBInstanceIdentifier !== undefined) link(i.ReadReplicaSourceDBInstanceIdentifier, i.DBInstanceIdentifier)
  }
  for (const i of instances) {
    for (const r of i.ReadReplicaDBInstanceIdentifiers ?? []) link(i.DBInstanceIdentifier, r)
  }
  for (const list of children.values()) list.sort()
  return {
    byId,
    parentOf: (id) => parent.get(id),
    replicasOf: (id) => children.get(id) ?? [],
  }
}

export const replicaTree = (forest: ReplicaForest, rootId: string): ReplicaTree | undefined => {
  const build = (id: string, seen: ReadonlySet<string>): ReplicaTree | undefined => {
    const instance = forest.byId.get(id)
    if (instance === undefined || seen.has(id)) return undefined
    const next = new Set(seen).add(id)
    return {
      instance,
      replicas: forest.replicasOf(id).flatMap((r) => build(r, next) ?? []),
    }
  }
  return build(rootId, new Set())
}

/** A node of a tree walk: the instance, its parent's identifier and its depth (root = 0). */
export interface TreeNode {
  readonly instance: DBInstance
  readonly parent: string | undefined
  readonly depth: number
  readonly replicas: ReadonlyArray<string>
}

/** Breadth-first: every parent before its replicas, siblings in identifier order. */
export const breadthFirst = (tree: ReplicaTree): ReadonlyArray<TreeNode> => {
  const out: TreeNode[] = []
  let level: Array<{ tree: ReplicaTree; parent: string | undefined }> = [{ tree, parent: undefined }]
  for (let depth = 0; level.length > 0; depth++) {
    const next: typeof level = []
    for (const { tree: node, parent } of level) {
      out.push({
        instance: node.instance,
        parent,
        depth,
        replicas: node.replicas.map((r) => r.instance.DBInstanceIdentifier),
      })
      for (const r of node.replicas) next.push({ tree: r, parent: node.instance.DBInstanceIdentifier })
    }
    level = next
  }
  return out
}

/** Leaves first: every replica before its source (deepest level first). */
export const leavesFirst = (tree: ReplicaTree): ReadonlyArray<TreeNode> =>
  [...breadthFirst(tree)].sort((a, b) => b.depth - a.depth)

export const treeIds = (tree: ReplicaTree): ReadonlyArray<string> => breadthFirst(tree).map((n) => n.instance.DBInstanceIdentifier)

export const treeDepth = (tree: ReplicaTree): number => Math.max(...breadthFirst(tree).map((n) => n.depth))
