/**
 * An in-memory RDS: the RdsPort with AWS's state rules on a virtual clock, for running plans
 * (and killing their interpreters halfway) in tests without an AWS account.
 *
 * Every instance's status is derived from virtual time: a call that starts work sets the
 * in-progress status and records when the work ends and what it does then; the effect is applied
 * lazily, by the first call (or `environment()`) that happens at or after that time, in the order
 * the work ends (time.ts). The simulator has no timers and no promises of its own in flight, so it
 * is fully deterministic and outlives any client: a new interpreter can pick up where a killed one
 * left off against the same object.
 *
 * Aurora clusters are modelled the same way (clusters.ts). Rules and numbers follow docs/aws-facts
 * (the RDS API reference and user guide; plan/rds-facts.ts); error codes and messages are the ones
 * RDS sends (as seen in SDK errors users report).
 *
 * This file seeds the state (state.ts) from a describe-style environment, wraps every call (throttled,
 * maybe made to fail, logged: limits.ts) and answers the port; the rooms do the rest: instances.ts,
 * clusters.ts, subnet-groups.ts, passwords.ts, describe.ts.
 */
import * as E from 'fp-ts/lib/Either.js'
import type * as TE from 'fp-ts/lib/TaskEither.js'
import { arnKind, type DBCluster, type DBSubnetGroup, type Environment, type Tag } from '../plan/domain.js'
import type { RdsOperation } from '../plan/operations.js'
import { replicaForest } from '../plan/forest.js'
import { normalizeIdentifier } from '../plan/identifiers.js'
import { AWS_DURATIONS, DEFAULT_QUOTAS, type RdsDurations } from '../plan/rds-facts.js'
import type { Clock, RdsError, RdsPort } from '../interpret/capabilities.js'
import { virtualClock } from './clock.js'
import { clusterCalls } from './clusters.js'
import { views } from './describe.js'
import { instanceCalls } from './instances.js'
import { Fault, fault, limits, limitState, type InjectedFailure } from './limits.js'
import { passwordRules } from './passwords.js'
import { subnetGroupRoom } from './subnet-groups.js'
import { workQueue } from './time.js'
import { clone, lookups, record, resourceIdFor, type Fields, type SimCall, type SimClusterSnapshot, type SimState } from './state.js'

export type { InjectedFailure } from './limits.js'
export type { SimCall, SimClusterSnapshot } from './state.js'

export interface SimOptions {
  /** How long each kind of work takes in virtual time: AWS_DURATIONS (rds-facts.ts) unless a test says otherwise. */
  readonly durations?: Partial<RdsDurations>
  readonly failures?: ReadonlyArray<InjectedFailure>
  /** Token bucket on virtual time; default `{ burst: 300, perSecond: 12 }` as AWS; `false` for none. */
  readonly throttle?: { readonly burst: number; readonly perSecond: number } | false
  /** Virtual ms offsets from the start during which every call fails with Throttling. */
  readonly storms?: ReadonlyArray<{ readonly from: number; readonly to: number }>
  /** Epoch ms of the virtual start; default 2026-11-22T12:00:00Z. */
  readonly start?: number
}

export interface Simulator extends RdsPort {
  /** Virtual time: `sleep(ms)` moves it forward and resolves at once. */
  readonly clock: Clock & { readonly elapsed: () => number }
  /** Every call so far, reads included, in order. */
  readonly calls: () => ReadonlyArray<SimCall>
  /** What describe would show right now (every instance, their tags, every snapshot); not a call. */
  readonly environment: () => Environment
  /**
   * The identifier (at seed time) of the instance whose data `id` holds; for an Aurora cluster, or
   * an instance of one, the seed-time identifier of the cluster whose data it holds; undefined if
   * no such instance or cluster. For a DB cluster snapshot, that of the cluster it was taken of.
   */
  readonly dataOf: (id: string) => string | undefined
  /**
   * The DB cluster snapshots (final snapshots of deleted clusters), as DescribeDBClusterSnapshots
   * would show them: `creating` until the delete is done, then `available`. Not a call (the port
   * has no cluster-snapshot describe).
   */
  readonly clusterSnapshots: () => ReadonlyArray<SimClusterSnapshot>
  /**
   * What is known of a cluster's or an instance's master password, never the password: how many times
   * one was set (CreateDBCluster, ModifyDBCluster or ModifyDBInstance MasterUserPassword) and when the
   * last took effect, and whether RDS manages it in Secrets Manager. A clone keeps its source's record,
   * a read replica shows its source's. Undefined for no such cluster or instance.
   */
  readonly masterCredentials: (id: string) => MasterCredentials | undefined
  /**
   * Whether `candidate` is the master password of the cluster or instance `id` as last set (only a
   * salted hash is kept); a read replica's is its source's.
   */
  readonly masterPasswordIs: (id: string, candidate: string) => boolean
}

export interface MasterCredentials {
  /** How many times a password was set (a managed one counts as well). */
  readonly sets: number
  /** Virtual epoch ms when the last one took effect; undefined if none was set here (a seeded cluster). */
  readonly lastSetAt: number | undefined
  readonly managed: boolean
}

export const DEFAULT_START = Date.parse('2026-11-22T12:00:00Z')
const DEFAULT_ACCOUNT_PREFIX = (region: string) => `arn:aws:rds:${region}:123456789012`

/** A request as the log keeps it: a master password replaced by `***`. */
const withoutSecrets = (input: unknown): unknown =>
  typeof input === 'object' && input !== null && 'MasterUserPassword' in input ? { ...input, MasterUserPassword: '***' } : input

/** The instances, snapshots, subnet groups and clusters of the environment, as records linked by key. */
const seed = (sim: SimState) => {
  const { env, region, arnPrefix, defaultSuffix, nodes, keyOfSeed, snapshots, subnetGroups, subnetGroupTags, clusters, memberships } = sim
  const { clusterById } = lookups(sim)
  // the subnet groups described on their own first: an instance's or a cluster's group of the same name is that one
  for (const g of env.subnetGroups ?? []) {
    const { TagList, DBSubnetGroupArn: _arn, ...fields } = clone(g)
    subnetGroups.set(g.DBSubnetGroupName, fields as Fields)
    subnetGroupTags.set(g.DBSubnetGroupName, [...(TagList ?? [])])
  }
  const forest = replicaForest(env.instances)
  for (const i of env.instances) {
    const {
      DBInstanceIdentifier: id, DBInstanceStatus: status, DBInstanceArn: _arn, ReadReplicaSourceDBInstanceIdentifier: _src,
      ReadReplicaDBInstanceIdentifiers: _replicas, TagList, DbiResourceId, ...rest
    } = clone(i)
    const endpoint = record(rest.Endpoint)
    const address = typeof endpoint?.['Address'] === 'string' ? endpoint['Address'] : undefined
    if (endpoint !== undefined) {
      const { Address: _a, ...kept } = endpoint
      rest.Endpoint = kept
    }
    const key = sim.nextKey++
    keyOfSeed.set(id, key)
    nodes.set(key, {
      key,
      id,
      data: id,
      resourceId: DbiResourceId ?? resourceIdFor(`${arnPrefix}:${id}`),
      suffix: address?.startsWith(`${id}.`) === true ? address.slice(id.length + 1) : defaultSuffix,
      fields: rest as Fields,
      tags: clone([...(env.tags[id] ?? TagList ?? [])]),
      source: undefined,
      status,
      work: undefined,
      credentials: { sets: 0, lastSetAt: undefined, hash: undefined },
    })
    const group = record(rest.DBSubnetGroup)
    if (typeof group?.['DBSubnetGroupName'] === 'string' && !subnetGroups.has(group['DBSubnetGroupName'])) {
      subnetGroups.set(group['DBSubnetGroupName'], clone(group))
    }
  }
  for (const i of env.instances) {
    const parent = forest.parentOf(i.DBInstanceIdentifier)
    const n = nodes.get(keyOfSeed.get(i.DBInstanceIdentifier)!)!
    n.source = parent === undefined ? undefined : keyOfSeed.get(parent)
  }
  for (const s of env.snapshots) snapshots.push({ snapshot: clone(s), data: s.DBInstanceIdentifier, readyAt: undefined })

  // seed: the clusters as described, their members linked by name
  for (const c of env.clusters ?? []) {
    const {
      DBClusterIdentifier: id, Status: status, DBClusterArn: _arn, DbClusterResourceId, DBClusterMembers, AssociatedRoles,
      TagList, Endpoint, ReaderEndpoint: _reader, ...rest
    } = clone(c) as DBCluster & Fields
    const key = sim.nextClusterKey++
    const endpoint = typeof Endpoint === 'string' ? Endpoint : ''
    // a cluster names its subnet group; the group exists even when no instance describes it
    const group = rest['DBSubnetGroup']
    if (typeof group === 'string' && !subnetGroups.has(group)) subnetGroups.set(group, { DBSubnetGroupName: group })
    clusters.set(key, {
      key,
      id,
      data: id,
      resourceId: typeof DbClusterResourceId === 'string' ? DbClusterResourceId : `cluster-${resourceIdFor(`${arnPrefix}:${id}`).slice(3)}`,
      suffix: endpoint.startsWith(`${id}.cluster-`) ? endpoint.slice(id.length + 9) : `c0sim0mitosis.${region}.rds.amazonaws.com`,
      fields: rest as Fields,
      tags: clone([...(TagList ?? [])]),
      roles: (AssociatedRoles ?? []).map((r) => ({ RoleArn: r.RoleArn, ...(r.FeatureName === undefined ? {} : { FeatureName: r.FeatureName }), activeAt: 0 })),
      status,
      work: undefined,
      writer: undefined,
      credentials: { sets: 0, lastSetAt: undefined, hash: undefined },
    })
    for (const m of DBClusterMembers ?? []) {
      const n = keyOfSeed.get(m.DBInstanceIdentifier)
      if (n === undefined) continue
      memberships.set(n, { cluster: key, tier: m.PromotionTier })
      if (m.IsClusterWriter) clusters.get(key)!.writer = n
    }
  }
  for (const n of nodes.values()) {
    const cid = n.fields['DBClusterIdentifier']
    const c = typeof cid === 'string' ? clusterById(cid) : undefined
    if (c !== undefined && !memberships.has(n.key)) memberships.set(n.key, { cluster: c.key, tier: undefined })
  }
}

export const simulate = (env: Environment, options: SimOptions = {}): Simulator => {
  const region = env.region
  const durations: RdsDurations = { ...AWS_DURATIONS, ...options.durations }
  const start = options.start ?? DEFAULT_START
  const clock = virtualClock(start)
  const arnPrefix = (() => {
    const known = env.instances.map((i) => i.DBInstanceArn).find((a) => a !== undefined)
    const m = known?.match(/^(arn:[^:]+:rds:[^:]*:[^:]*):db:/)
    return m?.[1] ?? DEFAULT_ACCOUNT_PREFIX(region)
  })()
  const defaultSuffix = (() => {
    const i = env.instances.find((x) => x.Endpoint?.Address?.startsWith(`${x.DBInstanceIdentifier}.`) === true)
    return i?.Endpoint?.Address?.slice(i.DBInstanceIdentifier.length + 1) ?? `c0sim0mitosis.${region}.rds.amazonaws.com`
  })()
  const sim: SimState = {
    env, region, start, clock, durations, arnPrefix, defaultSuffix,
    nodes: new Map(), keyOfSeed: new Map(), snapshots: [], clusters: new Map(), memberships: new Map(), clusterSnapshots: [],
    subnetGroups: new Map(), subnetGroupTags: new Map(),
    limits: limitState(options.throttle, options.storms, options.failures, clock.now()),
    log: [], nextKey: 1, nextClusterKey: 1, seq: 0,
  }
  seed(sim)
  const { nodes, clusters, memberships, clusterSnapshots, snapshots, subnetGroups, subnetGroupTags, log } = sim
  const { byId, idOfArn, clusterById, clusterIdOfArn, clusterByArnOrFail, byArnOrFail } = lookups(sim)
  const { settle } = workQueue(sim)
  const { takeToken, inStorm, take } = limits(sim.limits, clock)
  const { passwordHash, isManaged, credentialsOf } = passwordRules(sim)
  const { createSubnetGroup, subnetGroupOfArn, subnetGroupByArnOrFail, viewSubnetGroup } = subnetGroupRoom(sim)
  const { view, viewSnapshot, all, allClusters, viewClusterSnapshot, environment } = views(sim)
  const { createReplica, restore, promote, modify, remove, addTags } = instanceCalls(sim)
  const { restoreCluster, createCluster, createClusterInstance, modifyCluster, addRole, removeCluster } = clusterCalls(sim)

  // ---- the call wrapper: every call is throttled, may be made to fail, and is logged
  const call =
    <A>(action: string, input: unknown, subject: string | undefined, run: () => A): TE.TaskEither<RdsError, A> =>
    () => {
      settle()
      // a password sent with a call is never kept in the log
      const entry = (outcome: string) => log.push({ at: clock.now(), action, input: withoutSecrets(clone(input)), outcome })
      const api = (code: string, message: string): E.Either<RdsError, A> => {
        entry(code)
        return E.left({ _tag: 'Api', action, code, message })
      }
      if (inStorm() || !takeToken()) return Promise.resolve(api('Throttling', 'Rate exceeded'))
      const injected = take('error', action, subject)
      if (injected?.kind === 'error') return Promise.resolve(api(injected.code, injected.message ?? `injected ${injected.code}`))
      try {
        const a = run()
        entry('ok')
        return Promise.resolve(E.right(a))
      } catch (e) {
        if (e instanceof Fault) return Promise.resolve(api(e.code, e.message))
        throw e
      }
    }

  const subjectOf = (o: RdsOperation): string =>
    o.op === 'AddTagsToResource' ? (idOfArn(o.request.ResourceName) ?? clusterIdOfArn(o.request.ResourceName) ?? o.id) :
    'DBClusterIdentifier' in o.request && !('DBInstanceIdentifier' in o.request) ? o.request.DBClusterIdentifier : 'DBInstanceIdentifier' in o.request ? o.request.DBInstanceIdentifier : o.id

  return {
    region,
    clock,
    calls: () => [...log],
    environment,
    dataOf: (id) => {
      settle()
      const n = byId(id)
      if (n !== undefined) {
        const membership = memberships.get(n.key)
        return membership === undefined ? n.data : (clusters.get(membership.cluster)?.data ?? n.data)
      }
      const c = clusterById(id)
      if (c !== undefined) return c.data
      return clusterSnapshots.find((s) => s.snapshot.DBClusterSnapshotIdentifier === normalizeIdentifier(id))?.data
    },
    clusterSnapshots: () => {
      settle()
      return clusterSnapshots.map(viewClusterSnapshot)
    },
    masterCredentials: (id) => {
      settle()
      const c = clusterById(id)
      if (c !== undefined) return { sets: c.credentials.sets, lastSetAt: c.credentials.lastSetAt, managed: isManaged(c) }
      const n = byId(id)
      if (n === undefined) return undefined
      const own = credentialsOf(n)
      return { sets: own.sets, lastSetAt: own.lastSetAt, managed: isManaged(n) }
    },
    masterPasswordIs: (id, candidate) => {
      settle()
      const c = clusterById(id)
      const n = c === undefined ? byId(id) : undefined
      const hash = c?.credentials.hash ?? (n === undefined ? undefined : credentialsOf(n).hash)
      return hash !== undefined && hash === passwordHash(candidate)
    },
    describeDBInstances: (ids) =>
      call('DescribeDBInstances', ids === undefined ? {} : { ids }, ids?.length === 1 ? ids[0] : undefined, () => {
        if (ids === undefined) return all()
        const want = new Set(ids.map(normalizeIdentifier))
        return [...nodes.values()].filter((n) => want.has(n.id)).map(view)
      }),
    removeTagsFromResource: (arn, keys) =>
      call('RemoveTagsFromResource', { ResourceName: arn, TagKeys: [...keys] }, idOfArn(arn) ?? clusterIdOfArn(arn), () => {
        const n: { tags: Tag[] } = arnKind(arn) === 'cluster' ? clusterByArnOrFail(arn) : byArnOrFail(arn)
        n.tags = n.tags.filter((t) => !keys.includes(t.Key))
      }),
    listTagsForResource: (arn) =>
      call('ListTagsForResource', { ResourceName: arn }, idOfArn(arn) ?? clusterIdOfArn(arn) ?? subnetGroupOfArn(arn), () =>
        clone(arnKind(arn) === 'cluster' ? clusterByArnOrFail(arn).tags : arnKind(arn) === 'subgrp' ? (subnetGroupTags.get(subnetGroupByArnOrFail(arn)) ?? []) : byArnOrFail(arn).tags),
      ),
    describeDBSnapshots: (instanceId) =>
      call('DescribeDBSnapshots', { DBInstanceIdentifier: instanceId }, instanceId, () =>
        snapshots.filter((s) => s.snapshot.DBInstanceIdentifier === normalizeIdentifier(instanceId)).map(viewSnapshot),
      ),
    describeDBClusters: () => call('DescribeDBClusters', {}, undefined, (): ReadonlyArray<DBCluster> => allClusters()),
    // RDS answers a name no group has with DBSubnetGroupNotFoundFault (so the log shows): the port, with none
    describeDBSubnetGroups: (name) => async () => {
      const r = await call('DescribeDBSubnetGroups', { DBSubnetGroupName: name }, name, (): ReadonlyArray<DBSubnetGroup> =>
        subnetGroups.has(name) ? [viewSubnetGroup(name)] : fault('DBSubnetGroupNotFoundFault', `DBSubnetGroup ${name} not found.`),
      )()
      return E.isLeft(r) && r.left._tag === 'Api' && r.left.code === 'DBSubnetGroupNotFoundFault' ? E.right([]) : r
    },
    // the fixture's Quotas (its maxima) else RDS's defaults; what is used is what the world holds
    describeAccountQuotas: () =>
      call('DescribeAccountAttributes', {}, undefined, () => ({
        DBInstances: { used: [...nodes.values()].length, max: env.quotas?.DBInstances ?? DEFAULT_QUOTAS.DBInstances },
        DBClusters: { used: [...clusters.values()].length, max: env.quotas?.DBClusters ?? DEFAULT_QUOTAS.DBClusters },
      })),
    listRamSharedClusterArns: () =>
      call('ram:ListResources', { resourceOwner: 'SELF', resourceType: 'rds:Cluster' }, undefined, () => [...(env.ramSharedClusterArns ?? [])]),
    send: (o) =>
      call(o.op, o.request, subjectOf(o), () => {
        switch (o.op) {
          case 'CreateDBInstanceReadReplica':
            return createReplica(o.request)
          case 'RestoreDBInstanceFromDBSnapshot':
            return restore(o.request)
          case 'PromoteReadReplica':
            return promote(o.request)
          case 'ModifyDBInstance':
            return modify(o.request)
          case 'DeleteDBInstance':
            return remove(o.request)
          case 'AddTagsToResource':
            return addTags(o.request)
          case 'RestoreDBClusterToPointInTime':
            return restoreCluster(o.request)
          case 'ModifyDBCluster':
            return modifyCluster(o.request)
          case 'CreateDBInstance':
            return createClusterInstance(o.request)
          case 'DeleteDBCluster':
            return removeCluster(o.request)
          case 'AddRoleToDBCluster':
            return addRole(o.request)
          case 'CreateDBSubnetGroup':
            return createSubnetGroup(o.request)
          case 'CreateDBCluster':
            return createCluster(o.request)
        }
      }),
  }
}
