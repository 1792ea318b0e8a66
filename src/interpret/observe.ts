/**
 * Reading the world for a plan: every instance in the region, the tags of the target tree (which
 * the clone copies), and the source's snapshots when the plan will restore one. The region's Aurora
 * clusters are read too (one DescribeDBClusters) when the instances cannot settle the request: the
 * source or the target is not an instance there, or is a cluster member. When the source or the
 * target is one of those clusters, the account's quotas (DescribeAccountAttributes; RDS's defaults,
 * and a note saying so, when that is denied or not answered as the API answers) and the clusters
 * shared through AWS RAM (ram:ListResources, which must be allowed: a shared cluster cannot be
 * replaced) are read as well. Read-only.
 */
import * as A from 'fp-ts/lib/ReadonlyArray.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { DBCluster, DBInstance, Environment, Tag, TaggedDBSubnetGroup } from '../plan/domain.js'
import { replicaForest, replicaTree, treeIds } from '../plan/forest.js'
import { identifierProblem, normalizeIdentifier } from '../plan/identifiers.js'
import { subnetGroupName, type CreateRequest } from '../plan/create.js'
import type { CloneRequest } from '../plan/clone/clone.js'
import { needsSnapshotPath } from '../plan/clone/replica-tree.js'
import type { RdsError, RdsPort } from './capabilities.js'

const tagsOf = (port: RdsPort, instances: ReadonlyArray<DBInstance>): TE.TaskEither<RdsError, Record<string, ReadonlyArray<Tag>>> =>
  pipe(
    instances,
    A.map((i) =>
      i.DBInstanceArn === undefined
        ? TE.right([i.DBInstanceIdentifier, i.TagList ?? []] as const)
        : pipe(port.listTagsForResource(i.DBInstanceArn), TE.map((tags) => [i.DBInstanceIdentifier, tags] as const)),
    ),
    // a few at a time: ListTagsForResource shares the account's RDS rate limit with everyone else
    A.chunksOf(5),
    A.map((chunk) => TE.sequenceArray(chunk)),
    TE.sequenceSeqArray,
    TE.map((chunks) => Object.fromEntries(chunks.flat())),
  )

/**
 * Why the quotas could not be read, when that is no reason to stop: DescribeAccountAttributes denied, or
 * answered by something that is not the RDS API (an emulator without the action answers an HTML page),
 * or unknown to the endpoint (InvalidAction). Undefined for any other failure.
 */
const quotasUnreadable = (e: RdsError): string | undefined => {
  switch (e._tag) {
    case 'AccessDenied':
      return `access denied for rds:${e.action}`
    case 'Decode':
      return `${e.action} answered ${e.message}`
    case 'Api':
      return e.code === 'InvalidAction' ? `${e.action}: ${e.code}` : undefined
    default:
      return undefined
  }
}

/**
 * The quotas' maxima; none (so the planner takes RDS's defaults) when they cannot be read, with a note
 * that says so.
 */
const quotasOf = (port: RdsPort): TE.TaskEither<RdsError, Pick<Environment, 'quotas' | 'notes'>> =>
  pipe(
    port.describeAccountQuotas(),
    TE.map((q) => ({
      quotas: {
        ...(q.DBInstances === undefined ? {} : { DBInstances: q.DBInstances.max }),
        ...(q.DBClusters === undefined ? {} : { DBClusters: q.DBClusters.max }),
      },
    })),
    TE.orElse((e) => {
      const why = quotasUnreadable(e)
      return why === undefined
        ? TE.left(e)
        : TE.right({ quotas: {}, notes: [`could not read the account's quotas (${why}); assuming RDS's defaults`] })
    }),
  )

/** What only cluster plans need: the account's quotas and the clusters shared through RAM. */
const clusterFacts = (port: RdsPort, req: CloneRequest, clusters: ReadonlyArray<DBCluster>): TE.TaskEither<RdsError, Partial<Environment>> => {
  const ids = new Set(clusters.map((c) => normalizeIdentifier(c.DBClusterIdentifier)))
  if (![req.source, req.target].some((id) => ids.has(normalizeIdentifier(id)))) return TE.right({})
  return pipe(
    TE.Do,
    TE.bind('read', () => quotasOf(port)),
    TE.bind('ramSharedClusterArns', () => port.listRamSharedClusterArns()),
    TE.map(({ read, ramSharedClusterArns }): Partial<Environment> => ({ ...read, ramSharedClusterArns })),
  )
}

type Clusters = { readonly clusters?: ReadonlyArray<DBCluster> }

export const observeEnvironment = (port: RdsPort, req: CloneRequest): TE.TaskEither<RdsError, Environment> =>
  pipe(
    port.describeDBInstances(),
    TE.chain((instances) => {
      const forest = replicaForest(instances)
      const source = forest.byId.get(normalizeIdentifier(req.source))
      const target = forest.byId.get(normalizeIdentifier(req.target))
      const tree = target === undefined ? undefined : replicaTree(forest, target.DBInstanceIdentifier)
      const involved = tree === undefined ? [] : treeIds(tree).map((id) => forest.byId.get(id)!)
      // a target missing under its name may be mid-run (renamed to old-): its plan may restore a snapshot
      const snapshotPath = source !== undefined && (target === undefined || needsSnapshotPath(source, target, req.restoreSnapshot) !== false)
      // plain instance plans make exactly the calls they always made: clusters only when they may matter
      const clustersMatter = [source, target].some((i) => i === undefined || i.DBClusterIdentifier !== undefined)
      return pipe(
        TE.Do,
        TE.bind('tags', () => tagsOf(port, involved)),
        TE.bind('snapshots', () => (snapshotPath ? port.describeDBSnapshots(source.DBInstanceIdentifier) : TE.right([]))),
        TE.bind('clusters', (): TE.TaskEither<RdsError, Clusters> =>
          clustersMatter ? pipe(port.describeDBClusters(), TE.map((cs): Clusters => ({ clusters: cs }))) : TE.right({}),
        ),
        TE.bind('facts', ({ clusters }) => (clusters.clusters === undefined ? TE.right({}) : clusterFacts(port, req, clusters.clusters))),
        TE.map(({ tags, snapshots, clusters, facts }): Environment => ({ region: port.region, instances, tags, snapshots, ...clusters, ...facts })),
      )
    }),
  )

/**
 * The subnet groups of these names that exist (DescribeDBSubnetGroups, one name at a time), each with its
 * tags (ListTagsForResource on its ARN): whether a name a create would take is free, or its own.
 */
export const observeSubnetGroups = (port: RdsPort, names: ReadonlyArray<string>): TE.TaskEither<RdsError, ReadonlyArray<TaggedDBSubnetGroup>> =>
  pipe(
    names,
    A.map((name) => port.describeDBSubnetGroups(name)),
    TE.sequenceSeqArray,
    TE.map((found) => found.flat()),
    TE.chain((groups) =>
      pipe(
        groups,
        A.map((g) =>
          g.DBSubnetGroupArn === undefined
            ? TE.right<RdsError, TaggedDBSubnetGroup>(g)
            : pipe(port.listTagsForResource(g.DBSubnetGroupArn), TE.map((tags): TaggedDBSubnetGroup => ({ ...g, TagList: [...tags] }))),
        ),
        TE.sequenceSeqArray,
      ),
    ),
  )

/**
 * Reading the world for `mitosis create`: every instance and every cluster (the cluster it is like, and
 * whether the names it would take are free or its own from an earlier attempt), and, when it makes a
 * subnet group, the group of that name if there is one, with its tags. Read-only.
 */
export const observeForCreate = (port: RdsPort, req: Pick<CreateRequest, 'target' | 'subnets'>): TE.TaskEither<RdsError, Environment> => {
  // an invalid --target is the planner's to refuse, in its words: nothing to read for it
  const makesGroup = req.subnets !== undefined && req.subnets !== 'source' && identifierProblem(req.target) === undefined
  return pipe(
    TE.Do,
    TE.bind('instances', () => port.describeDBInstances()),
    TE.bind('clusters', () => port.describeDBClusters()),
    TE.bind('subnetGroups', () => observeSubnetGroups(port, makesGroup ? [subnetGroupName(normalizeIdentifier(req.target))] : [])),
    TE.map(({ instances, clusters, subnetGroups }): Environment => ({
      region: port.region,
      instances,
      tags: {},
      snapshots: [],
      clusters,
      ...(makesGroup ? { subnetGroups } : {}),
    })),
  )
}
