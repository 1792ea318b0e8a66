/**
 * The one step function: applies a step of any plan to the predicted world with the rules RDS enforces for
 * its operation, and ours (the source is only read; only what the plan renamed to old- is the plan's to
 * delete), and runs a whole plan through it in plan order after the graph check. Every plan passes through
 * it before it is shown, so a planner bug surfaces as a refused plan rather than as a broken environment. Pure.
 */
import type { Environment, ResourceKind } from '../domain.js'
import { identifierProblem, OLD_PREFIX, oldName } from '../identifiers.js'
import { passwordConflict, passwordSet, resourceOf, setsPassword, type Operation, type Resource, type Settings } from '../operations.js'
import type { Plan, Step } from '../plan.js'
import {
  accepts,
  CLUSTER_SETTING_KEYS,
  INHERITED_FROM_SOURCE,
  MEMBER_SETTING_KEYS,
  roleKey,
  settingKeys,
  type ClusterSettings,
  type MemberSettings,
} from '../settings.js'
import { checkGraph } from './graph.js'
import { initialState, type PredictedCluster, type PredictedInstance, type PredictedWorld } from './state.js'

/** The world as a run of the predictor changes it. */
interface World {
  readonly instances: Map<string, PredictedInstance>
  readonly clusters: Map<string, PredictedCluster>
  readonly subnetGroups: Set<string>
}

/** What the steps of one plan share. */
interface Run {
  /** What the plan only reads: a replica tree's source instance, an Aurora clone's (or a create's) source cluster. */
  readonly source: Resource
  /** Resource keys (`db:x`, `cluster:x`) of what this plan renamed to old-: all it may delete. */
  readonly renamedToOld: Set<string>
  readonly snapshotSource: (id: string) => string | undefined
}

/** Instance settings a ModifyDBInstance (or a create call) sets, under the names the settings use. */
const settingsOfRequest = (request: Record<string, unknown>): Settings => {
  const out: Record<string, unknown> = {}
  for (const key of settingKeys) if (request[key] !== undefined) out[key] = request[key]
  if (typeof request['DBPortNumber'] === 'number') out['Port'] = request['DBPortNumber']
  const logs = request['CloudwatchLogsExportConfiguration'] as { EnableLogTypes?: string[] } | undefined
  if (logs?.EnableLogTypes !== undefined) out['EnableCloudwatchLogsExports'] = logs.EnableLogTypes
  return out as Settings
}

const pickDefined = <T extends object>(request: Record<string, unknown>, keys: ReadonlyArray<keyof T>): Partial<T> =>
  Object.fromEntries(keys.flatMap((k) => (request[k as string] === undefined ? [] : [[k, request[k as string]]]))) as Partial<T>

const unaccepted = (o: Operation, engine: string): ReadonlyArray<string> => {
  if (o.op !== 'CreateDBInstanceReadReplica' && o.op !== 'RestoreDBInstanceFromDBSnapshot' && o.op !== 'PromoteReadReplica') return []
  const takes = accepts(o.op, engine)
  return settingKeys.filter((k) => (o.request as Record<string, unknown>)[k] !== undefined && !takes(k))
}

// a request that names a storage type gets that type's defaults, not the source's performance
const inherit = (from: PredictedInstance, request: Record<string, unknown>): Settings =>
  Object.fromEntries(
    INHERITED_FROM_SOURCE.filter((k) => request['StorageType'] === undefined || (k !== 'Iops' && k !== 'StorageThroughput')).flatMap((k) =>
      from.settings[k] === undefined ? [] : [[k, from.settings[k]]],
    ),
  )

const mergeTags = <S extends { readonly Tags?: ReadonlyArray<{ Key: string; Value: string }> }>(s: S, tags: ReadonlyArray<{ Key: string; Value: string }>): S => {
  const keys = new Set(tags.map((t) => t.Key))
  return { ...s, Tags: [...(s.Tags ?? []).filter((t) => !keys.has(t.Key)), ...tags] }
}

/**
 * Applies one step. Returns what the step did wrong (an empty list when RDS would accept it and it
 * breaks none of our rules); the world is changed as the step changes it.
 */
const applyStep = (world: World, step: Step, run: Run): string[] => {
  const { instances, clusters } = world
  const v: string[] = []
  const at = `step ${step.n} (${step.op} ${step.id})`
  const needInstance = (id: string): PredictedInstance | undefined => {
    const i = instances.get(id)
    if (i === undefined) v.push(`${at}: instance ${id} does not exist at that point`)
    return i
  }
  const needCluster = (id: string): PredictedCluster | undefined => {
    const c = clusters.get(id)
    if (c === undefined) v.push(`${at}: cluster ${id} does not exist at that point`)
    return c
  }
  const claim = (kind: ResourceKind, id: string) => {
    // a subnet group's name is not an instance's or a cluster's: other rules, compared in lower case
    const problem = kind === 'subgrp' ? undefined : identifierProblem(id)
    if (problem !== undefined) v.push(`${at}: ${id} ${problem}`)
    const taken = kind === 'db' ? instances.has(id) : kind === 'cluster' ? clusters.has(id) : world.subnetGroups.has(id.toLowerCase())
    if (taken) v.push(`${at}: ${id} is already taken`)
  }
  const named = (name: string) => {
    if (name !== step.id) v.push(`${at}: the request names ${name}`)
  }
  const notSourceInstance = (id: string, i: PredictedInstance | undefined) => {
    if (run.source.kind === 'db' && id === run.source.id) v.push(`${at}: would modify the source ${run.source.id}`)
    if (run.source.kind === 'cluster' && i !== undefined && i.cluster === run.source.id) v.push(`${at}: would modify ${i.id}, an instance of the source cluster ${run.source.id}`)
  }
  const notSourceCluster = (c: PredictedCluster | undefined) => {
    if (run.source.kind === 'cluster' && c !== undefined && c.origin === run.source.id) v.push(`${at}: would modify the source cluster ${run.source.id}`)
  }
  const membersOf = (origin: string) => [...instances.values()].filter((i) => i.cluster === origin)
  const mayDelete = (key: string) => {
    if (!run.renamedToOld.has(key)) v.push(`${at}: ${step.id} was not renamed to ${OLD_PREFIX}* by this plan, so it is not the plan's to delete`)
  }

  switch (step.op) {
    case 'CreateDBInstanceReadReplica': {
      const src = needInstance(step.request.SourceDBInstanceIdentifier)
      claim('db', step.id)
      named(step.request.DBInstanceIdentifier)
      if (src === undefined) break
      if (src.cluster !== undefined) v.push(`${at}: its source ${src.id} is an instance of an Aurora cluster, which RDS makes no read replica of`)
      if ((src.settings.BackupRetentionPeriod ?? 0) === 0) v.push(`${at}: its source ${src.id} has no automated backups at that point`)
      for (const k of unaccepted(step, src.engine)) v.push(`${at}: CreateDBInstanceReadReplica does not take ${k} for ${src.engine}`)
      const settings = { ...inherit(src, step.request), ...settingsOfRequest(step.request), BackupRetentionPeriod: 0 }
      instances.set(step.id, { id: step.id, engine: src.engine, engineVersion: src.engineVersion, settings, replicaSource: src.id, dataFrom: src.dataFrom, origin: step.id, cluster: undefined, writer: false })
      break
    }
    case 'RestoreDBInstanceFromDBSnapshot': {
      claim('db', step.id)
      const from = run.snapshotSource(step.request.DBSnapshotIdentifier)
      if (from === undefined) { v.push(`${at}: no such snapshot ${step.request.DBSnapshotIdentifier}`); break }
      const src = instances.get(from)
      const engine = src?.engine ?? ''
      for (const k of unaccepted(step, engine)) v.push(`${at}: RestoreDBInstanceFromDBSnapshot does not take ${k}`)
      const settings = { ...(src === undefined ? {} : inherit(src, step.request)), ...settingsOfRequest(step.request) }
      instances.set(step.id, { id: step.id, engine, engineVersion: src?.engineVersion, settings, replicaSource: undefined, dataFrom: from, origin: step.id, cluster: undefined, writer: false })
      break
    }
    case 'PromoteReadReplica': {
      const i = needInstance(step.id)
      notSourceInstance(step.id, i)
      if (i === undefined) break
      if (i.replicaSource === undefined) v.push(`${at}: ${step.id} is not a read replica`)
      for (const k of unaccepted(step, i.engine)) v.push(`${at}: PromoteReadReplica does not take ${k}`)
      instances.set(step.id, { ...i, replicaSource: undefined, settings: { ...i.settings, ...settingsOfRequest(step.request) } })
      break
    }
    case 'ModifyDBInstance': {
      const i = needInstance(step.id)
      notSourceInstance(step.id, i)
      if (i === undefined) break
      const conflict = passwordConflict(step)
      if (conflict !== undefined) v.push(`${at}: ${conflict}`)
      if (setsPassword(step) && i.replicaSource !== undefined) v.push(`${at}: ${step.id} is a read replica, which takes its master password from its source`)
      if (setsPassword(step) && i.cluster !== undefined) v.push(`${at}: ${step.id} is an instance of an Aurora cluster, which takes its master password from its cluster`)
      const r = step.request as Record<string, unknown>
      // an Aurora member's settings are a member's: its network, storage and logs are its cluster's
      const changed = i.cluster === undefined ? settingsOfRequest(r) : pickDefined<MemberSettings>(r, MEMBER_SETTING_KEYS.filter((k) => k !== 'Tags'))
      const settings = { ...i.settings, ...changed }
      const { NewDBInstanceIdentifier: newId } = step.request
      const password = passwordSet(step) ?? i.password
      if (newId === undefined) {
        instances.set(step.id, { ...i, settings, ...(password === undefined ? {} : { password }) })
        break
      }
      claim('db', newId)
      instances.delete(step.id)
      instances.set(newId, { ...i, id: newId, settings })
      for (const [k, other] of instances) if (other.replicaSource === step.id) instances.set(k, { ...other, replicaSource: newId })
      if (newId === oldName(step.id)) run.renamedToOld.add(`db:${newId}`)
      break
    }
    case 'DeleteDBInstance': {
      const i = needInstance(step.id)
      notSourceInstance(step.id, i)
      mayDelete(`db:${step.id}`)
      // an Aurora member's data stays with its cluster: only a cluster's delete takes a final snapshot
      if (step.request.SkipFinalSnapshot !== true && step.request.FinalDBSnapshotIdentifier === undefined && i?.cluster === undefined) {
        v.push(`${at}: needs SkipFinalSnapshot or FinalDBSnapshotIdentifier`)
      }
      if (i === undefined) break
      if (i.settings.DeletionProtection === true) v.push(`${at}: ${step.id} still has deletion protection on`)
      const replicas = [...instances.values()].filter((o) => o.replicaSource === step.id).map((o) => o.id)
      if (replicas.length > 0) v.push(`${at}: ${step.id} still has replicas (${replicas.join(', ')})`)
      instances.delete(step.id)
      break
    }
    case 'AddTagsToResource': {
      const kind = resourceOf(step)?.kind
      if (kind === 'cluster') {
        const c = needCluster(step.id)
        notSourceCluster(c)
        if (c !== undefined) clusters.set(step.id, { ...c, settings: mergeTags(c.settings, step.request.Tags) })
      } else if (kind === 'subgrp') {
        if (!world.subnetGroups.has(step.id.toLowerCase())) v.push(`${at}: subnet group ${step.id} does not exist at that point`)
      } else {
        const i = needInstance(step.id)
        notSourceInstance(step.id, i)
        if (i !== undefined) instances.set(step.id, { ...i, settings: mergeTags(i.settings, step.request.Tags) })
      }
      break
    }
    case 'RunCommand':
      break
    case 'RestoreDBClusterToPointInTime': {
      const r = step.request
      named(r.DBClusterIdentifier)
      claim('cluster', step.id)
      if (r.RestoreType !== 'copy-on-write') v.push(`${at}: RestoreType is ${r.RestoreType}, not copy-on-write`)
      if (r.UseLatestRestorableTime !== true) v.push(`${at}: does not restore to the latest restorable time`)
      const src = needCluster(r.SourceDBClusterIdentifier)
      if (src === undefined) break
      if (membersOf(src.origin).length === 0) v.push(`${at}: its source ${src.id} has no instances at that point`)
      const settings = pickDefined<ClusterSettings>(r as Record<string, unknown>, CLUSTER_SETTING_KEYS)
      clusters.set(step.id, { id: step.id, engine: src.engine, origin: step.id, dataFrom: src.dataFrom, settings, roles: [] })
      break
    }
    case 'ModifyDBCluster': {
      const c = needCluster(step.id)
      notSourceCluster(c)
      if (c === undefined) break
      const conflict = passwordConflict(step)
      if (conflict !== undefined) v.push(`${at}: ${conflict}`)
      const changed: Partial<ClusterSettings> = pickDefined<ClusterSettings>(step.request as Record<string, unknown>, CLUSTER_SETTING_KEYS)
      const logs = step.request.CloudwatchLogsExportConfiguration?.EnableLogTypes
      const settings = { ...c.settings, ...changed, ...(logs === undefined ? {} : { EnableCloudwatchLogsExports: logs }) }
      const newId = step.request.NewDBClusterIdentifier
      const password = passwordSet(step) ?? c.password
      if (newId === undefined) {
        clusters.set(step.id, { ...c, settings, ...(password === undefined ? {} : { password }) })
        break
      }
      claim('cluster', newId)
      clusters.delete(step.id)
      clusters.set(newId, { ...c, id: newId, settings })
      if (newId === oldName(step.id)) run.renamedToOld.add(`cluster:${newId}`)
      break
    }
    case 'AddRoleToDBCluster': {
      const c = needCluster(step.id)
      notSourceCluster(c)
      if (c === undefined) break
      const key = roleKey(step.request)
      if (c.roles.includes(key)) v.push(`${at}: ${step.id} already has the role ${key}`)
      clusters.set(step.id, { ...c, roles: [...c.roles, key].sort() })
      break
    }
    case 'CreateDBInstance': {
      const r = step.request
      named(r.DBInstanceIdentifier)
      claim('db', step.id)
      const c = needCluster(r.DBClusterIdentifier)
      notSourceCluster(c)
      if (c === undefined) break
      if (c.engine !== r.Engine) v.push(`${at}: engine ${r.Engine} does not match the cluster's ${c.engine}`)
      // the first instance of a cluster becomes its writer
      const writer = membersOf(c.origin).length === 0
      const settings = pickDefined<MemberSettings>(r as Record<string, unknown>, MEMBER_SETTING_KEYS)
      instances.set(step.id, { id: step.id, engine: r.Engine, engineVersion: undefined, settings, replicaSource: undefined, dataFrom: c.dataFrom, origin: step.id, cluster: c.origin, writer })
      break
    }
    case 'DeleteDBCluster': {
      const c = needCluster(step.id)
      notSourceCluster(c)
      mayDelete(`cluster:${step.id}`)
      if (step.request.SkipFinalSnapshot !== true && step.request.FinalDBSnapshotIdentifier === undefined) {
        v.push(`${at}: needs SkipFinalSnapshot or FinalDBSnapshotIdentifier`)
      }
      if (c === undefined) break
      if (c.settings.DeletionProtection === true) v.push(`${at}: ${step.id} still has deletion protection on`)
      const left = membersOf(c.origin).map((i) => i.id)
      if (left.length > 0) v.push(`${at}: ${step.id} still has instances (${left.join(', ')})`)
      clusters.delete(step.id)
      break
    }
    case 'CreateDBSubnetGroup': {
      named(step.request.DBSubnetGroupName)
      claim('subgrp', step.id)
      if (new Set(step.request.SubnetIds).size < 2) v.push(`${at}: a DB subnet group needs subnets in two or more Availability Zones`)
      world.subnetGroups.add(step.id.toLowerCase())
      break
    }
    case 'CreateDBCluster': {
      const r = step.request
      named(r.DBClusterIdentifier)
      claim('cluster', step.id)
      const conflict = passwordConflict(step)
      if (conflict !== undefined) v.push(`${at}: ${conflict}`)
      const settings = pickDefined<ClusterSettings>(r as Record<string, unknown>, CLUSTER_SETTING_KEYS)
      const password = passwordSet(step)
      // a new cluster is empty: the data it holds is its own
      clusters.set(step.id, { id: step.id, engine: r.Engine, origin: step.id, dataFrom: step.id, settings, roles: [], ...(password === undefined ? {} : { password }) })
      break
    }
    case 'RunLiquibase': {
      const c = needCluster(step.request.DBClusterIdentifier)
      notSourceCluster(c)
      // the schema goes in through the writer's endpoint
      if (c !== undefined && !membersOf(c.origin).some((i) => i.writer)) v.push(`${at}: ${c.id} has no writer at that point to run the schema on`)
      break
    }
  }
  return v
}

/** What a plan only reads: the source of a replica tree is an instance, of an Aurora clone or a create a cluster. */
const sourceOf = (plan: Plan): Resource => ({ kind: plan.kind === 'replica-tree' ? 'db' : 'cluster', id: plan.source })

export interface Prediction {
  readonly state: PredictedWorld
  readonly violations: ReadonlyArray<string>
}

/** Runs the plan through the predictor in plan order, from `start` (the environment as described, unless told). */
export const predict = (env: Environment, plan: Plan, start: PredictedWorld = initialState(env)): Prediction => {
  const world: World = { instances: new Map(start.instances), clusters: new Map(start.clusters), subnetGroups: new Set(start.subnetGroups) }
  const snapshots = new Map(env.snapshots.map((s) => [s.DBSnapshotIdentifier, s.DBInstanceIdentifier]))
  const run: Run = { source: sourceOf(plan), renamedToOld: new Set(), snapshotSource: (id) => snapshots.get(id) }
  const violations = [...checkGraph(plan)]
  for (const step of plan.steps) violations.push(...applyStep(world, step, run))
  return { state: world, violations }
}
