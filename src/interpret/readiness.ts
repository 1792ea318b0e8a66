/**
 * Whether RDS would take a step now, judged by the last describe and by what was sent since; what a
 * plan's poll describes; which refusals are "not now" rather than "no". Pure.
 */
import type { DBCluster, DBInstance } from '../plan/domain.js'
import { readsFrom, renamedTo, resourceOf, resourcesUsed, type RdsOperation, type Resource } from '../plan/operations.js'
import { type Plan } from '../plan/plan.js'
import type { RdsError } from './capabilities.js'

/** How `busy` holds a resource: an instance by its identifier, a cluster (or subnet group) as `cluster:<id>`. */
const busyKey = (r: Resource): string => (r.kind === 'db' ? r.id : `${r.kind}:${r.id}`)

/** Identifiers a step makes busy when it is sent (its own resource, a new name; a new member, its cluster too). */
export const changes = (s: RdsOperation): ReadonlyArray<string> =>
  [resourceOf(s), renamedTo(s), s.op === 'CreateDBInstance' ? readsFrom(s) : undefined].flatMap((r) => (r === undefined ? [] : [busyKey(r)]))

/**
 * Why RDS would not take the step now, judging by the last describe (clusters by the last
 * DescribeDBClusters; `busy` holds a cluster as `cluster:<id>`), or undefined when it would.
 */
export const whyNotNow = (
  s: RdsOperation,
  byId: ReadonlyMap<string, DBInstance>,
  busy: ReadonlySet<string>,
  clusterById: ReadonlyMap<string, DBCluster>,
): string | undefined => {
  const available = (id: string) => {
    if (busy.has(id)) return `${id} was just changed`
    const i = byId.get(id)
    return i === undefined ? `${id} does not exist` : i.DBInstanceStatus === 'available' ? undefined : `${id} is ${i.DBInstanceStatus}`
  }
  const free = (id: string) => (byId.has(id) || busy.has(id) ? `the name ${id} is taken` : undefined)
  const clusterAvailable = (id: string) => {
    if (busy.has(`cluster:${id}`)) return `${id} was just changed`
    const c = clusterById.get(id)
    return c === undefined ? `the cluster ${id} does not exist` : c.Status === 'available' ? undefined : `the cluster ${id} is ${c.Status}`
  }
  const clusterFree = (id: string) => (clusterById.has(id) || busy.has(`cluster:${id}`) ? `the cluster name ${id} is taken` : undefined)
  switch (s.op) {
    case 'CreateDBInstanceReadReplica':
      return available(s.request.SourceDBInstanceIdentifier) ?? free(s.id)
    case 'RestoreDBInstanceFromDBSnapshot':
      return free(s.id)
    case 'ModifyDBInstance':
      return available(s.id) ?? (s.request.NewDBInstanceIdentifier === undefined ? undefined : free(s.request.NewDBInstanceIdentifier))
    case 'PromoteReadReplica':
    case 'DeleteDBInstance':
      return available(s.id)
    case 'AddTagsToResource': {
      // a cluster's tags (its ARN says :cluster:) are judged by the cluster describe
      const status = resourceOf(s)?.kind === 'cluster' ? clusterById.get(s.id)?.Status : byId.get(s.id)?.DBInstanceStatus
      return status === undefined ? `${s.id} does not exist` : status === 'deleting' ? `${s.id} is deleting` : undefined
    }
    case 'CreateDBInstance':
      return free(s.id) ?? clusterAvailable(s.request.DBClusterIdentifier)
    case 'RestoreDBClusterToPointInTime':
      return clusterAvailable(s.request.SourceDBClusterIdentifier) ?? clusterFree(s.id)
    case 'ModifyDBCluster':
      return clusterAvailable(s.id) ?? (s.request.NewDBClusterIdentifier === undefined ? undefined : clusterFree(s.request.NewDBClusterIdentifier))
    case 'DeleteDBCluster':
    case 'AddRoleToDBCluster':
      return clusterAvailable(s.id)
    case 'CreateDBSubnetGroup':
      return undefined
    case 'CreateDBCluster':
      return clusterFree(s.id)
  }
}

/** Every identifier a plan names: what the poller describes. */
export const planIds = (plan: Plan): ReadonlyArray<string> => {
  const ids = new Set<string>()
  for (const s of plan.steps) {
    // clusters are read by DescribeDBClusters, not by instance identifier
    if (resourceOf(s)?.kind !== 'db') continue
    for (const r of resourcesUsed(s)) if (r.kind === 'db') ids.add(r.id)
  }
  return [...ids]
}

/** RDS says "not now" (busy instance or cluster) or "slow down": try again at the next tick. */
export const isTransient = (e: RdsError): boolean =>
  e._tag === 'Api' &&
  (e.code === 'Throttling' || e.code === 'ThrottlingException' || e.code === 'InvalidDBInstanceState' || e.code === 'InvalidDBInstanceStateFault' ||
    e.code === 'InvalidDBClusterStateFault')
