/**
 * What a clone swaps: a replica tree's instances, or an Aurora cluster and its member instances.
 * After the copy phase both kinds are the same swap over this list (rename away, rename in,
 * restart, delete); only the resources and their order differ. Pure.
 */
import type { DBCluster, DBInstance } from '../domain.js'
import { leavesFirst, type ReplicaTree } from '../forest.js'
import type { RenamableKind } from '../operations.js'

export type CloneSubject =
  | { readonly _tag: 'ReplicaTree'; readonly tree: ReplicaTree }
  | {
      readonly _tag: 'AuroraCluster'
      readonly cluster: DBCluster
      /** writer first (membersOf's order) */
      readonly members: ReadonlyArray<{ readonly id: string; readonly instance: DBInstance }>
      /** The old cluster's final snapshot, when one is kept. */
      readonly finalSnapshot: string | undefined
    }

/** One target resource the swap replaces, under its own (target) name. */
export interface Swapped {
  readonly type: RenamableKind
  readonly id: string
  readonly deletionProtection: boolean
  /** What must be deleted before it: an instance's replicas, a cluster's members. */
  readonly within: ReadonlyArray<string>
}

/** Where the restart's hook and tag go: the tree's root instance, or the cluster. */
export const subjectRoot = (s: CloneSubject): { readonly type: RenamableKind; readonly id: string } =>
  s._tag === 'ReplicaTree' ? { type: 'db', id: s.tree.instance.DBInstanceIdentifier } : { type: 'cluster', id: s.cluster.DBClusterIdentifier }

const instance = (i: DBInstance, within: ReadonlyArray<string>): Swapped => ({
  type: 'db',
  id: i.DBInstanceIdentifier,
  deletionProtection: i.DeletionProtection === true,
  within,
})

/** What is renamed away and back, in order: a tree leaves first; a cluster before its members. */
export const renamedInOrder = (s: CloneSubject): ReadonlyArray<Swapped> =>
  s._tag === 'ReplicaTree' ? leavesFirst(s.tree).map((n) => instance(n.instance, n.replicas)) : [clusterOf(s), ...s.members.map((m) => instance(m.instance, []))]

/** What is deleted, in order, each after what is `within` it: a tree leaves first; a cluster's members, then the cluster. */
export const deletedInOrder = (s: CloneSubject): ReadonlyArray<Swapped> =>
  s._tag === 'ReplicaTree' ? renamedInOrder(s) : [...s.members.map((m) => instance(m.instance, [])), clusterOf(s)]

const clusterOf = (s: Extract<CloneSubject, { _tag: 'AuroraCluster' }>): Swapped => ({
  type: 'cluster',
  id: s.cluster.DBClusterIdentifier,
  deletionProtection: s.cluster.DeletionProtection === true,
  within: s.members.map((m) => m.id),
})
