/**
 * What describe shows: the views of instances, clusters and snapshots (identifiers, statuses, ARNs,
 * endpoints and links derived from the records), and `environment()`, everything at once. Reading
 * never starts work; a view of a cluster whose writer is gone fails it over to the first member left.
 */
import type { DBCluster, DBInstance, DBSnapshot, Environment, TaggedDBSubnetGroup } from '../plan/domain.js'
import { subnetGroupRoom } from './subnet-groups.js'
import { workQueue } from './time.js'
import {
  clone, lookups, record, type ClusterRecord, type ClusterSnapshotRecord, type Fields, type Node, type SimClusterSnapshot, type SimState, type SnapshotRecord,
} from './state.js'

export const views = (sim: SimState) => {
  const { env, region, clock, nodes, clusters, memberships, snapshots, subnetGroups, subnetGroupTags } = sim
  const { arnOf, clusterArnOf, membersOfCluster } = lookups(sim)
  const { viewSubnetGroup } = subnetGroupRoom(sim)
  const { settle } = workQueue(sim)
  const snapshotStatus = (s: SnapshotRecord): string => (s.readyAt !== undefined && clock.now() < s.readyAt ? 'creating' : s.snapshot.Status)
  const viewClusterSnapshot = (s: ClusterSnapshotRecord): SimClusterSnapshot =>
    ({ ...clone(s.snapshot), Status: clock.now() < s.readyAt ? 'creating' : s.snapshot.Status })

  const viewCluster = (c: ClusterRecord): DBCluster => {
    const members = membersOfCluster(c)
    // a writer that is gone fails over to the first member left
    if (!members.some((m) => m.key === c.writer)) c.writer = members[0]?.key
    const writer = c.writer
    const out: Fields = {
      DBClusterIdentifier: c.id,
      DBClusterArn: clusterArnOf(c.id),
      DbClusterResourceId: c.resourceId,
      Status: c.status,
      ...clone(c.fields),
      Endpoint: `${c.id}.cluster-${c.suffix}`,
      ReaderEndpoint: `${c.id}.cluster-ro-${c.suffix}`,
      DBClusterMembers: members.map((m) => {
        const tier = memberships.get(m.key)?.tier
        return { DBInstanceIdentifier: m.id, IsClusterWriter: m.key === writer, ...(tier === undefined ? {} : { PromotionTier: tier }), DBClusterParameterGroupStatus: 'in-sync' }
      }),
      AssociatedRoles: c.roles.map((r) => ({
        RoleArn: r.RoleArn,
        ...(r.FeatureName === undefined ? {} : { FeatureName: r.FeatureName }),
        Status: clock.now() >= r.activeAt ? 'ACTIVE' : 'PENDING',
      })),
      TagList: clone(c.tags),
    }
    return out as DBCluster
  }
  const allClusters = () => [...clusters.values()].map(viewCluster)

  const view = (n: Node): DBInstance => {
    // in creation order, as RDS lists them
    const replicas = [...nodes.values()].filter((r) => r.source === n.key).map((r) => r.id)
    const source = n.source === undefined ? undefined : nodes.get(n.source)
    const { Endpoint: endpoint, ...fields } = clone(n.fields)
    const out: Fields = {
      DBInstanceIdentifier: n.id,
      DBInstanceStatus: n.status,
      ...fields,
      DBInstanceArn: arnOf(n.id),
      DbiResourceId: n.resourceId,
      ReadReplicaDBInstanceIdentifiers: replicas,
      TagList: clone(n.tags),
    }
    // a new instance has no endpoint until it is first available
    if (n.status !== 'creating') out['Endpoint'] = { Address: `${n.id}.${n.suffix}`, ...record(endpoint) }
    if (source !== undefined) out['ReadReplicaSourceDBInstanceIdentifier'] = source.id
    const membership = memberships.get(n.key)
    const cluster = membership === undefined ? undefined : clusters.get(membership.cluster)
    if (cluster !== undefined) out['DBClusterIdentifier'] = cluster.id
    return out as DBInstance
  }
  const viewSnapshot = (s: SnapshotRecord): DBSnapshot => ({ ...clone(s.snapshot), Status: snapshotStatus(s) })
  const all = () => [...nodes.values()].map(view)

  const environment = (): Environment => {
    settle()
    const instances = all()
    return {
      region,
      instances,
      tags: Object.fromEntries(instances.map((i) => [i.DBInstanceIdentifier, i.TagList ?? []])),
      snapshots: snapshots.map(viewSnapshot),
      ...(env.clusters === undefined ? {} : { clusters: allClusters() }),
      subnetGroups: [...subnetGroups.keys()].map((name): TaggedDBSubnetGroup => ({ ...viewSubnetGroup(name), TagList: clone(subnetGroupTags.get(name) ?? []) })),
    }
  }
  return { snapshotStatus, view, viewSnapshot, all, viewCluster, allClusters, viewClusterSnapshot, environment }
}
