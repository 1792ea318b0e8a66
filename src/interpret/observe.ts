/**
 * Reading the world for a plan: every instance in the region, the tags of the target tree (which
 * the clone copies), and the source's snapshots when the plan will restore one. The region's Aurora
 * clusters are read too (one DescribeDBClusters) when the instances cannot settle the request: the
 * source or the target is not an instance there, or is a cluster member. Read-only.
 */
import * as A from 'fp-ts/lib/ReadonlyArray.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { DBInstance, Environment, Tag } from '../plan/domain.js'
import { replicaForest, replicaTree, treeIds } from '../plan/forest.js'
import { normalizeIdentifier } from '../plan/identifiers.js'
import { needsSnapshotPath, type CloneRequest } from '../plan/planner.js'
import type { RdsError, RdsPort } from './port.js'

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
        TE.bind('clusters', () => (clustersMatter ? pipe(port.describeDBClusters(), TE.map((cs) => ({ clusters: cs }))) : TE.right({}))),
        TE.map(({ tags, snapshots, clusters }): Environment => ({ region: port.region, instances, tags, snapshots, ...clusters })),
      )
    }),
  )
