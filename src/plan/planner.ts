/**
 * The planner: a pure function from what describe showed to the ordered graph of RDS operations
 * that clones the source into the place of the target. The new tree mirrors the target tree
 * (breadth-first from its root) and keeps each target instance's settings; of the source only its
 * data is used. Nothing here reads the clock, the network or the file system.
 */
import { StepList } from './steps.js'
import * as E from 'fp-ts/lib/Either.js'
import { instanceArn, type DBInstance, type DBSnapshot, type Environment } from './domain.js'
import type { PlanProblem } from './errors.js'
import { breadthFirst, leavesFirst, replicaForest, replicaTree, treeDepth, treeIds, type ReplicaTree, type TreeNode } from './forest.js'
import { identifierProblem, normalizeIdentifier, oldName, tempName } from './identifiers.js'
import { accepts, instanceSettings, splitSettings } from './attributes.js'
import { passwordFields, type NewPassword, type Operation, type Settings } from './operations.js'
import { PLAN_VERSION, type Plan } from './plan.js'
import { checkPlan } from './predict/end-state.js'
import { productionTree } from './production.js'
import { copyTags, renamedTags, runIdFor, runInProgress, TAG_RESTARTED } from './runs.js'

export interface CloneRequest {
  readonly source: string
  readonly target: string
  /** Shell command that restarts the application after the swap, before anything is deleted. */
  readonly restart?: string | undefined
  /** Restore the latest snapshot of the source instead of replicating from it. */
  readonly restoreSnapshot?: boolean | undefined
  /**
   * A clone starts with the source's master password: a new one for the copy of the root (its replicas
   * follow it), set once the whole new tree is built and before any of it takes a target name.
   */
  readonly password?: NewPassword | undefined
  /**
   * Replace (and delete) a target tree that is tagged as production (`environment`, `env` or `stage`
   * = `prod` or `production`, any case); refused without this.
   */
  readonly allowProductionTarget?: boolean | undefined
}

export type CopyPath =
  | { readonly _tag: 'replica' }
  | { readonly _tag: 'snapshot'; readonly reason: SnapshotReason; readonly snapshot: DBSnapshot | undefined }

/** Why a clone restores a snapshot rather than replicating: asked to, across VPCs, or a managed source password. */
export type SnapshotReason = 'flag' | 'vpc' | 'managed-password'

const vpcOf = (i: DBInstance): string | undefined => i.DBSubnetGroup?.VpcId

/**
 * A read replica lives in its source's VPC; a target in another VPC is reached through a snapshot
 * restore (which takes the target's subnet group) instead.
 */
export const needsSnapshotPath = (source: DBInstance, target: DBInstance, restoreSnapshot: boolean | undefined): false | SnapshotReason => {
  if (restoreSnapshot === true) return 'flag'
  // RDS makes no read replica of an instance whose password Secrets Manager keeps (but SQL Server's)
  if (source.MasterUserSecret?.SecretArn !== undefined && !source.Engine.startsWith('sqlserver')) return 'managed-password'
  const [s, t] = [vpcOf(source), vpcOf(target)]
  return s !== undefined && t !== undefined && s !== t ? 'vpc' : false
}

/** The newest snapshot of `source` that can be restored now. */
export const latestAvailableSnapshot = (snapshots: ReadonlyArray<DBSnapshot>, source: string): DBSnapshot | undefined =>
  snapshots
    .filter((s) => s.DBInstanceIdentifier === source && s.Status === 'available')
    .reduce<DBSnapshot | undefined>(
      (best, s) => (best === undefined || (s.SnapshotCreateTime ?? '') > (best.SnapshotCreateTime ?? '') ? s : best),
      undefined,
    )

/** How many levels of replicas below its primary an engine lets a tree have (aws-facts.md). */
export const maxReplicaDepth = (engine: string, version: string | undefined): number => {
  if (engine === 'mysql' || engine === 'mariadb') return Number.POSITIVE_INFINITY
  if (engine === 'postgres') {
    const [major = 0, minor = 0] = (version ?? '').split('.').map(Number)
    return major > 14 || (major === 14 && minor >= 1) ? 3 : 1
  }
  return 1
}

const engineFamily = (engine: string): string => engine.replace(/-(ee|se2?|ex|web|cdb|se2-cdb|ee-cdb)$/, '')

interface Resolved {
  readonly run: string
  readonly source: DBInstance
  readonly target: DBInstance
  readonly tree: ReplicaTree
  readonly path: CopyPath
}

/** Every reason the clone cannot be planned, all at once. */
const preflight = (env: Environment, req: CloneRequest): E.Either<ReadonlyArray<PlanProblem>, Resolved> => {
  const invalid = [req.source, req.target].flatMap((id): PlanProblem[] => {
    const problem = identifierProblem(id)
    return problem === undefined ? [] : [{ _tag: 'InvalidIdentifier', id, problem }]
  })
  if (invalid.length > 0) return E.left(invalid)
  const [sourceId, targetId] = [normalizeIdentifier(req.source), normalizeIdentifier(req.target)]
  const forest = replicaForest(env.instances)
  const source = forest.byId.get(sourceId)
  const target = forest.byId.get(targetId)
  if (source === undefined || target === undefined) {
    const missing = [source === undefined ? sourceId : undefined, target === undefined ? targetId : undefined].filter((x) => x !== undefined)
    return E.left([{ _tag: 'NoSuchInstance', ids: [...new Set(missing)], region: env.region }])
  }
  if (sourceId === targetId) return E.left([{ _tag: 'SameInstance', id: sourceId }])

  const problems: PlanProblem[] = []
  // the whole target tree is deleted at the end: none of it may be production unless allowed
  const production = req.allowProductionTarget === true ? undefined : productionTree(env, targetId)
  if (production !== undefined) problems.push(production)
  for (const i of [source, target]) {
    if (i.DBClusterIdentifier !== undefined) problems.push({ _tag: 'AuroraMember', id: i.DBInstanceIdentifier, cluster: i.DBClusterIdentifier })
  }
  const parent = forest.parentOf(targetId)
  if (parent !== undefined) problems.push({ _tag: 'TargetIsReplica', id: targetId, parent })
  const tree = replicaTree(forest, targetId)!
  const ids = treeIds(tree)
  if (ids.includes(sourceId)) problems.push({ _tag: 'TreesOverlap', source: sourceId, target: targetId })
  if (engineFamily(source.Engine) !== engineFamily(target.Engine)) {
    problems.push({ _tag: 'EngineMismatch', source: sourceId, sourceEngine: source.Engine, target: targetId, targetEngine: target.Engine })
  }
  for (const id of ids) {
    for (const name of [tempName(id), oldName(id)]) {
      const problem = identifierProblem(name)
      if (problem !== undefined) problems.push({ _tag: 'NameTooLong', id: name, problem })
      const taken = forest.byId.get(name)
      if (taken !== undefined) problems.push({ _tag: 'NameTaken', id: name, status: taken.DBInstanceStatus })
    }
  }
  const depth = treeDepth(tree)
  const maxDepth = maxReplicaDepth(source.Engine, source.EngineVersion)
  if (depth > maxDepth) {
    problems.push({ _tag: 'CascadeUnsupported', target: targetId, depth, engine: source.Engine, version: source.EngineVersion ?? '?', maxDepth })
  }
  const snapshotReason = needsSnapshotPath(source, target, req.restoreSnapshot)
  let path: CopyPath = { _tag: 'replica' }
  if (snapshotReason === false) {
    if ((source.BackupRetentionPeriod ?? 0) === 0) problems.push({ _tag: 'SourceWithoutBackups', source: sourceId })
  } else {
    const snapshot = latestAvailableSnapshot(env.snapshots, sourceId)
    if (snapshot === undefined) problems.push({ _tag: 'NoSnapshot', source: sourceId })
    path = { _tag: 'snapshot', reason: snapshotReason, snapshot }
  }
  return problems.length > 0 ? E.left(problems) : E.right({ run: runIdFor(sourceId, target), source, target, tree, path })
}


const modify = (id: string, settings: Settings): Operation => {
  const { Port, EnableCloudwatchLogsExports, ...rest } = settings
  return {
    op: 'ModifyDBInstance',
    id,
    request: {
      DBInstanceIdentifier: id,
      ...rest,
      ...(Port === undefined ? {} : { DBPortNumber: Port }),
      ...(EnableCloudwatchLogsExports === undefined ? {} : { CloudwatchLogsExportConfiguration: { EnableLogTypes: EnableCloudwatchLogsExports } }),
      ApplyImmediately: true,
    },
  }
}

const isEmpty = (s: Settings): boolean => Object.keys(s).length === 0

/**
 * The settings a new copy of `node` is given: the target's own, except that an instance with
 * replicas must keep automated backups (a replica's source needs them), and a new replica already
 * starts with none (it keeps the target's backup window all the same).
 */
const settingsFor = (env: Environment, r: Resolved, node: TreeNode): Settings => {
  const id = node.instance.DBInstanceIdentifier
  const own = instanceSettings(node.instance, env.tags[id] ?? node.instance.TagList ?? [], r.source.AllocatedStorage)
  const s = { ...own, Tags: [...(own.Tags ?? []), ...copyTags(r.run, r.source.DBInstanceIdentifier, id)] }
  const retention = s.BackupRetentionPeriod ?? 0
  const needed = node.replicas.length > 0 ? Math.max(retention, 1) : retention
  if (node.parent !== undefined && needed === 0) {
    const { BackupRetentionPeriod: _r, ...rest } = s
    return rest
  }
  return { ...s, BackupRetentionPeriod: needed }
}

const copyPhase = (env: Environment, r: Resolved, list: StepList): ReadonlyArray<number> => {
  const backupsReady = new Map<string, number>()
  const finished: number[] = []
  for (const node of breadthFirst(r.tree)) {
    const id = node.instance.DBInstanceIdentifier
    const temp = tempName(id)
    const settings = settingsFor(env, r, node)
    if (node.parent === undefined && r.path._tag === 'snapshot') {
      const { taken, rest } = splitSettings(settings, accepts('RestoreDBInstanceFromDBSnapshot', r.source.Engine))
      const restored = list.add(
        {
          op: 'RestoreDBInstanceFromDBSnapshot',
          id: temp,
          request: { DBInstanceIdentifier: temp, DBSnapshotIdentifier: r.path.snapshot!.DBSnapshotIdentifier, ...taken },
        },
        'copy',
        [],
      )
      backupsReady.set(id, restored)
      finished.push(isEmpty(rest) ? restored : list.add(modify(temp, rest), 'copy', [restored]))
      continue
    }
    const sourceOfCopy = node.parent === undefined ? r.source.DBInstanceIdentifier : tempName(node.parent)
    const { taken, rest } = splitSettings(settings, accepts('CreateDBInstanceReadReplica', r.source.Engine))
    const created = list.add(
      {
        op: 'CreateDBInstanceReadReplica',
        id: temp,
        request: { DBInstanceIdentifier: temp, SourceDBInstanceIdentifier: sourceOfCopy, ...taken },
      },
      'copy',
      node.parent === undefined ? [] : [backupsReady.get(node.parent)!],
    )
    if (node.parent === undefined) {
      // Promote before any replica is made from it: PostgreSQL allows no replica of an unpromoted
      // replica, and backups (which replicas need) can only be turned on once it stands alone.
      const promote = splitSettings(rest, accepts('PromoteReadReplica', r.source.Engine))
      const promoted = list.add(
        { op: 'PromoteReadReplica', id: temp, request: { DBInstanceIdentifier: temp, ...promote.taken } },
        'copy',
        [created],
      )
      backupsReady.set(id, promoted)
      finished.push(isEmpty(promote.rest) ? promoted : list.add(modify(temp, promote.rest), 'copy', [promoted]))
    } else {
      const modified = isEmpty(rest) ? created : list.add(modify(temp, rest), 'copy', [created])
      backupsReady.set(id, modified)
      finished.push(modified)
    }
  }
  return finished
}

/**
 * Plans the clone. When a run for this source and target is already under way (its tags say so),
 * the plan is that run's whole plan, made on the world as it was before the run began; which of
 * its steps are done is for `stepProgress` to tell from describe.
 */
export const planClone = (current: Environment, req: CloneRequest): E.Either<ReadonlyArray<PlanProblem>, Plan> => {
  const resumed = runInProgress(current, normalizeIdentifier(req.source), normalizeIdentifier(req.target))
  const env = resumed?.original ?? current
  const resolved = preflight(env, req)
  if (E.isLeft(resolved)) return resolved
  const r = resolved.right
  const list = new StepList()

  // 1. copy: the whole new tree is built before any target name is touched; then, if asked, the copy
  //    of the root gets a password of its own (last: RDS makes no replica of an instance whose
  //    password Secrets Manager keeps)
  const tree = copyPhase(env, r, list)
  const rootCopy = tempName(r.target.DBInstanceIdentifier)
  const built =
    req.password === undefined
      ? tree
      : [...tree, list.add({ op: 'ModifyDBInstance', id: rootCopy, request: { DBInstanceIdentifier: rootCopy, ...passwordFields(req.password), ApplyImmediately: true } }, 'copy', tree)]

  // 2. rename-old: each target instance steps aside once the new tree is complete, tagged first
  //    so that a re-run knows old-<name> as this run's own
  const renamedOld = new Map<string, number>()
  for (const node of leavesFirst(r.tree)) {
    const id = node.instance.DBInstanceIdentifier
    const marked = list.add(
      { op: 'AddTagsToResource', id, request: { ResourceName: instanceArn(env, id), Tags: renamedTags(r.run, id) } },
      'rename-old',
      built,
    )
    renamedOld.set(
      id,
      list.add(
        { op: 'ModifyDBInstance', id, request: { DBInstanceIdentifier: id, NewDBInstanceIdentifier: oldName(id), ApplyImmediately: true } },
        'rename-old',
        [marked],
      ),
    )
  }

  // 3. rename-temp: each name is taken back as soon as it is free
  const renamedIn: number[] = []
  for (const node of leavesFirst(r.tree)) {
    const id = node.instance.DBInstanceIdentifier
    const temp = tempName(id)
    renamedIn.push(
      list.add(
        { op: 'ModifyDBInstance', id: temp, request: { DBInstanceIdentifier: temp, NewDBInstanceIdentifier: id, ApplyImmediately: true } },
        'rename-temp',
        [renamedOld.get(id)!],
      ),
    )
  }

  // 4. restart: the application still holds connections to the old instances (DNS was cached)
  // (the hook leaves a tag behind, so a re-run does not restart the application twice)
  const root = r.target.DBInstanceIdentifier
  const swapped =
    req.restart === undefined
      ? renamedIn
      : [
          list.add(
            { op: 'AddTagsToResource', id: root, request: { ResourceName: instanceArn(env, root), Tags: [{ Key: TAG_RESTARTED, Value: r.run }] } },
            'restart',
            [list.add({ op: 'RunCommand', id: root, request: { Command: req.restart } }, 'restart', renamedIn)],
          ),
        ]

  // 5. delete: only what this plan renamed to old-, leaves first, siblings side by side
  const deleted = new Map<string, number>()
  for (const node of leavesFirst(r.tree)) {
    const id = node.instance.DBInstanceIdentifier
    const old = oldName(id)
    const children = node.replicas.map((c) => deleted.get(c)!)
    const unprotected =
      node.instance.DeletionProtection === true
        ? [list.add({ op: 'ModifyDBInstance', id: old, request: { DBInstanceIdentifier: old, DeletionProtection: false, ApplyImmediately: true } }, 'delete', swapped)]
        : swapped
    deleted.set(
      id,
      list.add({ op: 'DeleteDBInstance', id: old, request: { DBInstanceIdentifier: old, SkipFinalSnapshot: true } }, 'delete', [...unprotected, ...children]),
    )
  }

  const plan: Plan = {
    version: PLAN_VERSION,
    kind: 'replica-tree',
    region: env.region,
    run: r.run,
    source: r.source.DBInstanceIdentifier,
    target: r.target.DBInstanceIdentifier,
    steps: list.steps,
  }
  const violations = checkPlan(env, plan)
  return violations.length > 0 ? E.left([{ _tag: 'PlanViolations', violations }]) : E.right(plan)
}
