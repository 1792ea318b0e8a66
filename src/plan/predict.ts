/**
 * The state predictor: applies a plan to an environment, step by step in plan order, with the
 * rules RDS enforces, and checks what a plan must never do. Every plan passes through it before
 * it is shown, so a planner bug surfaces as a refused plan rather than as a broken environment.
 */
import type { DBInstance, Environment } from './domain.js'
import { accepts, differences, INHERITED_FROM_SOURCE, instanceSettings, settingKeys } from './settings.js'
import { replicaForest, replicaTree, breadthFirst } from './forest.js'
import { identifierProblem, OLD_PREFIX, oldName, TEMP_PREFIX } from './identifiers.js'
import { passwordConflict, passwordSet, setsPassword, type NewPassword, type Operation, type Settings } from './operations.js'
import { type Plan, type Step } from './plan.js'
import { checkGraph } from './predict/graph.js'

/** An instance as the predictor sees it: its settings, its replica link, and whose data it holds. */
export interface PredictedInstance {
  readonly id: string
  readonly engine: string
  readonly engineVersion: string | undefined
  readonly settings: Settings
  readonly replicaSource: string | undefined
  /** The identifier, at planning time, of the instance whose data this one holds. */
  readonly dataFrom: string
  /** The planning-time identifier of the instance this one is (it keeps it through renames). */
  readonly origin: string
  /** Set by the plan: a new master password of the user's (`secret`) or kept by Secrets Manager (`managed`). */
  readonly password?: NewPassword
}

export type PredictedState = ReadonlyMap<string, PredictedInstance>

export const initialState = (env: Environment): PredictedState =>
  new Map(
    env.instances.map((i: DBInstance) => [
      i.DBInstanceIdentifier,
      {
        id: i.DBInstanceIdentifier,
        engine: i.Engine,
        engineVersion: i.EngineVersion,
        settings: instanceSettings(i, env.tags[i.DBInstanceIdentifier] ?? i.TagList ?? []),
        replicaSource: replicaForest(env.instances).parentOf(i.DBInstanceIdentifier),
        dataFrom: i.DBInstanceIdentifier,
        origin: i.DBInstanceIdentifier,
      },
    ]),
  )

const settingsOfRequest = (request: Record<string, unknown>): Settings => {
  const out: Record<string, unknown> = {}
  for (const key of settingKeys) if (request[key] !== undefined) out[key] = request[key]
  if (typeof request['DBPortNumber'] === 'number') out['Port'] = request['DBPortNumber']
  const logs = request['CloudwatchLogsExportConfiguration'] as { EnableLogTypes?: string[] } | undefined
  if (logs?.EnableLogTypes !== undefined) out['EnableCloudwatchLogsExports'] = logs.EnableLogTypes
  return out as Settings
}

const unaccepted = (o: Operation, engine: string): ReadonlyArray<string> => {
  if (o.op !== 'CreateDBInstanceReadReplica' && o.op !== 'RestoreDBInstanceFromDBSnapshot' && o.op !== 'PromoteReadReplica') return []
  const takes = accepts(o.op, engine)
  return settingKeys.filter((k) => (o.request as Record<string, unknown>)[k] !== undefined && !takes(k))
}

/**
 * Applies one step. Returns the new state and what the step did wrong (an empty list when RDS
 * would accept it and it breaks none of our rules).
 */
const applyStep = (
  state: Map<string, PredictedInstance>,
  step: Step,
  ctx: { readonly source: string; readonly renamedToOld: Set<string>; readonly snapshotSource: (id: string) => string | undefined },
): string[] => {
  const v: string[] = []
  const at = `step ${step.n} (${step.op} ${step.id})`
  const need = (id: string): PredictedInstance | undefined => {
    const i = state.get(id)
    if (i === undefined) v.push(`${at}: ${id} does not exist at that point`)
    return i
  }
  const claim = (id: string) => {
    const problem = identifierProblem(id)
    if (problem !== undefined) v.push(`${at}: ${id} ${problem}`)
    if (state.has(id)) v.push(`${at}: ${id} is already taken`)
  }
  const notSource = (id: string) => {
    if (id === ctx.source) v.push(`${at}: would modify the source ${ctx.source}`)
  }
  // a request that names a storage type gets that type's defaults, not the source's performance
  const inherit = (from: PredictedInstance, request: Record<string, unknown>): Settings =>
    Object.fromEntries(
      INHERITED_FROM_SOURCE.filter((k) => request['StorageType'] === undefined || (k !== 'Iops' && k !== 'StorageThroughput')).flatMap((k) =>
        from.settings[k] === undefined ? [] : [[k, from.settings[k]]],
      ),
    )

  switch (step.op) {
    case 'CreateDBInstanceReadReplica': {
      const src = need(step.request.SourceDBInstanceIdentifier)
      claim(step.id)
      if (step.request.DBInstanceIdentifier !== step.id) v.push(`${at}: request names ${step.request.DBInstanceIdentifier}`)
      if (src === undefined) break
      if ((src.settings.BackupRetentionPeriod ?? 0) === 0) v.push(`${at}: its source ${src.id} has no automated backups at that point`)
      for (const k of unaccepted(step, src.engine)) v.push(`${at}: CreateDBInstanceReadReplica does not take ${k} for ${src.engine}`)
      const settings = { ...inherit(src, step.request), ...settingsOfRequest(step.request), BackupRetentionPeriod: 0 }
      state.set(step.id, { id: step.id, engine: src.engine, engineVersion: src.engineVersion, settings, replicaSource: src.id, dataFrom: src.dataFrom, origin: step.id })
      break
    }
    case 'RestoreDBInstanceFromDBSnapshot': {
      claim(step.id)
      const from = ctx.snapshotSource(step.request.DBSnapshotIdentifier)
      if (from === undefined) { v.push(`${at}: no such snapshot ${step.request.DBSnapshotIdentifier}`); break }
      const src = state.get(from)
      const engine = src?.engine ?? ''
      for (const k of unaccepted(step, engine)) v.push(`${at}: RestoreDBInstanceFromDBSnapshot does not take ${k}`)
      const settings = { ...(src === undefined ? {} : inherit(src, step.request)), ...settingsOfRequest(step.request) }
      state.set(step.id, { id: step.id, engine, engineVersion: src?.engineVersion, settings, replicaSource: undefined, dataFrom: from, origin: step.id })
      break
    }
    case 'PromoteReadReplica': {
      notSource(step.id)
      const i = need(step.id)
      if (i === undefined) break
      if (i.replicaSource === undefined) v.push(`${at}: ${step.id} is not a read replica`)
      for (const k of unaccepted(step, i.engine)) v.push(`${at}: PromoteReadReplica does not take ${k}`)
      state.set(step.id, { ...i, replicaSource: undefined, settings: { ...i.settings, ...settingsOfRequest(step.request) } })
      break
    }
    case 'ModifyDBInstance': {
      notSource(step.id)
      const i = need(step.id)
      if (i === undefined) break
      const conflict = passwordConflict(step)
      if (conflict !== undefined) v.push(`${at}: ${conflict}`)
      if (setsPassword(step) && i.replicaSource !== undefined) v.push(`${at}: ${step.id} is a read replica, which takes its master password from its source`)
      const { NewDBInstanceIdentifier: newId } = step.request
      const settings = { ...i.settings, ...settingsOfRequest(step.request) }
      const password = passwordSet(step) ?? i.password
      if (newId === undefined) {
        state.set(step.id, { ...i, settings, ...(password === undefined ? {} : { password }) })
        break
      }
      claim(newId)
      state.delete(step.id)
      state.set(newId, { ...i, id: newId, settings })
      for (const [k, other] of state) if (other.replicaSource === step.id) state.set(k, { ...other, replicaSource: newId })
      if (newId === oldName(step.id)) ctx.renamedToOld.add(newId)
      break
    }
    case 'DeleteDBInstance': {
      notSource(step.id)
      const i = need(step.id)
      if (!ctx.renamedToOld.has(step.id)) v.push(`${at}: ${step.id} was not renamed to ${OLD_PREFIX}* by this plan, so it is not the plan's to delete`)
      if (step.request.SkipFinalSnapshot !== true && step.request.FinalDBSnapshotIdentifier === undefined) {
        v.push(`${at}: needs SkipFinalSnapshot or FinalDBSnapshotIdentifier`)
      }
      if (i === undefined) break
      if (i.settings.DeletionProtection === true) v.push(`${at}: ${step.id} still has deletion protection on`)
      const replicas = [...state.values()].filter((o) => o.replicaSource === step.id).map((o) => o.id)
      if (replicas.length > 0) v.push(`${at}: ${step.id} still has replicas (${replicas.join(', ')})`)
      state.delete(step.id)
      break
    }
    case 'AddTagsToResource': {
      notSource(step.id)
      const i = need(step.id)
      if (i === undefined) break
      const keys = new Set(step.request.Tags.map((t) => t.Key))
      const tags = [...(i.settings.Tags ?? []).filter((t) => !keys.has(t.Key)), ...step.request.Tags]
      state.set(step.id, { ...i, settings: { ...i.settings, Tags: tags } })
      break
    }
    case 'RunCommand':
      break
    // Aurora cluster plans are checked by checkClusterPlan (src/plan/cluster-predict.ts)
    case 'RestoreDBClusterToPointInTime':
    case 'ModifyDBCluster':
    case 'CreateDBInstance':
    case 'DeleteDBCluster':
    case 'AddRoleToDBCluster':
    case 'CreateDBSubnetGroup':
    case 'CreateDBCluster':
    case 'RunLiquibase':
      v.push(`${at}: is an Aurora cluster step; an instance plan has none`)
      break
  }
  return v
}

/** Settings of `actual` that differ from `expected`, as `Key (expected → actual)`. */
export const settingDifferences = (expected: Settings, actual: Settings): string[] => differences(settingKeys, expected, actual)

export interface Prediction {
  readonly state: PredictedState
  readonly violations: ReadonlyArray<string>
}

/** Runs the plan through the predictor in plan order. */
export const predict = (env: Environment, plan: Plan): Prediction => {
  const state = new Map(initialState(env))
  const snapshots = new Map(env.snapshots.map((s) => [s.DBSnapshotIdentifier, s.DBInstanceIdentifier]))
  const ctx = { source: plan.source, renamedToOld: new Set<string>(), snapshotSource: (id: string) => snapshots.get(id) }
  const violations = [...checkGraph(plan)]
  for (const step of plan.steps) violations.push(...applyStep(state, step, ctx))
  return { state, violations }
}

/**
 * Every check a plan must pass before anyone sees it: RDS's rules and ours along the way, then the
 * end state: the target's names, topology and settings, holding the source's data; the source and
 * every instance outside the target tree exactly as they were; no temp- or old- left behind.
 */
export const checkReplicaTreePlan = (env: Environment, plan: Plan): ReadonlyArray<string> => {
  const { state, violations } = predict(env, plan)
  const v = [...violations]
  const before = initialState(env)
  const tree = replicaTree(replicaForest(env.instances), plan.target)
  if (tree === undefined) return [...v, `${plan.target} does not exist`]
  const nodes = breadthFirst(tree)
  const treeIds = new Set(nodes.map((n) => n.instance.DBInstanceIdentifier))
  const sourceData = before.get(plan.source)?.dataFrom ?? plan.source
  for (const node of nodes) {
    const id = node.instance.DBInstanceIdentifier
    const after = state.get(id)
    if (after === undefined) { v.push(`end state: ${id} is missing`); continue }
    if (after.dataFrom !== sourceData) v.push(`end state: ${id} holds the data of ${after.dataFrom}, not of ${plan.source}`)
    if (after.origin === id) v.push(`end state: ${id} is still the original instance`)
    if (after.replicaSource !== node.parent) v.push(`end state: ${id} replicates from ${after.replicaSource ?? 'nothing'}, not ${node.parent ?? 'nothing'}`)
    const expected = instanceSettings(node.instance, env.tags[id] ?? node.instance.TagList ?? [], env.instances.find((i) => i.DBInstanceIdentifier === plan.source)?.AllocatedStorage)
    const diffs = settingDifferences(expected, after.settings).filter((d) => !(node.replicas.length > 0 && d.startsWith('BackupRetentionPeriod (unset)')))
    if (diffs.length > 0) v.push(`end state: ${id} does not keep the target's settings: ${diffs.join(', ')}`)
  }
  if (plan.steps.some(setsPassword) && state.get(plan.target)?.password === undefined) {
    v.push(`end state: ${plan.target} still has ${plan.source}'s master password, not its new one`)
  }
  const deletes = plan.steps.some((s) => s.op === 'DeleteDBInstance')
  for (const [id, i] of state) {
    if (treeIds.has(id)) continue
    const prior = before.get(id)
    if (id.startsWith(TEMP_PREFIX) && prior === undefined) v.push(`end state: ${id} is left behind`)
    if (deletes && id.startsWith(OLD_PREFIX) && prior === undefined) v.push(`end state: ${id} is left behind`)
    if (prior !== undefined && JSON.stringify(prior) !== JSON.stringify(i)) v.push(`end state: ${id}, which is not in the target tree, was changed`)
  }
  for (const id of before.keys()) {
    if (!treeIds.has(id) && !state.has(id)) v.push(`end state: ${id}, which is not in the target tree, is gone`)
  }
  return v
}
