/**
 * The replica tree's own part of a clone: its preflight, and its copy phase. The new tree mirrors
 * the target tree (breadth-first from its root) and keeps each target instance's settings; of the
 * source only its data is used. The swap that follows is the shared one (phases.ts). Pure.
 */
import type { StepList } from '../steps.js'
import * as E from 'fp-ts/lib/Either.js'
import type { DBInstance, DBSnapshot, Environment } from '../domain.js'
import type { Problem } from '../problems.js'
import { breadthFirst, replicaForest, replicaTree, treeDepth, treeIds, type ReplicaTree, type TreeNode } from '../forest.js'
import { identifierProblem, normalizeIdentifier, oldName, tempName } from '../identifiers.js'
import { accepts, instanceSettings, splitSettings } from '../settings.js'
import { modifyInstance, passwordFields, promote, type NewPassword, type Operation, type Settings } from '../operations.js'
import { productionTree } from '../production.js'
import { copyTags, runIdFor } from '../runs.js'
import type { CloneSubject } from './subject.js'
import { maxReplicaDepth } from '../rds-facts.js'

export interface ReplicaTreeCloneRequest {
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

const engineFamily = (engine: string): string => engine.replace(/-(ee|se2?|ex|web|cdb|se2-cdb|ee-cdb)$/, '')

/** A replica-tree clone that can be planned: its run, the two roots, the target tree, the copy's path. */
export interface ResolvedTree {
  readonly run: string
  readonly source: DBInstance
  readonly target: DBInstance
  readonly tree: ReplicaTree
  readonly path: CopyPath
}

/** Every reason the clone cannot be planned, all at once. */
export const preflightTree = (env: Environment, req: ReplicaTreeCloneRequest): E.Either<ReadonlyArray<Problem>, ResolvedTree> => {
  const invalid = [req.source, req.target].flatMap((id): Problem[] => {
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

  const problems: Problem[] = []
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


/** The settings a create call did not take, under ModifyDBInstance's names. */
const modify = (id: string, settings: Settings): Operation => {
  const { Port, EnableCloudwatchLogsExports, ...rest } = settings
  return modifyInstance(id, {
    ...rest,
    ...(Port === undefined ? {} : { DBPortNumber: Port }),
    ...(EnableCloudwatchLogsExports === undefined ? {} : { CloudwatchLogsExportConfiguration: { EnableLogTypes: EnableCloudwatchLogsExports } }),
  })
}

const isEmpty = (s: Settings): boolean => Object.keys(s).length === 0

/**
 * The settings a new copy of `node` is given: the target's own, except that an instance with
 * replicas must keep automated backups (a replica's source needs them), and a new replica already
 * starts with none (it keeps the target's backup window all the same).
 */
const settingsFor = (env: Environment, r: ResolvedTree, node: TreeNode): Settings => {
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

const copyTree = (env: Environment, r: ResolvedTree, list: StepList): ReadonlyArray<number> => {
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
      const promotion = splitSettings(rest, accepts('PromoteReadReplica', r.source.Engine))
      const promoted = list.add(promote(temp, promotion.taken), 'copy', [created])
      backupsReady.set(id, promoted)
      finished.push(isEmpty(promotion.rest) ? promoted : list.add(modify(temp, promotion.rest), 'copy', [promoted]))
    } else {
      const modified = isEmpty(rest) ? created : list.add(modify(temp, rest), 'copy', [created])
      backupsReady.set(id, modified)
      finished.push(modified)
    }
  }
  return finished
}

/**
 * The copy phase: the whole new tree is built before any target name is touched; then, if asked,
 * the copy of the root gets a password of its own (last: RDS makes no replica of an instance whose
 * password Secrets Manager keeps). Gives the steps the swap waits for.
 */
export const copyPhaseOfTree = (env: Environment, r: ResolvedTree, list: StepList, password: NewPassword | undefined): ReadonlyArray<number> => {
  const tree = copyTree(env, r, list)
  const rootCopy = tempName(r.target.DBInstanceIdentifier)
  return password === undefined ? tree : [...tree, list.add(modifyInstance(rootCopy, passwordFields(password)), 'copy', tree)]
}

export const treeSubject = (r: ResolvedTree): CloneSubject => ({ _tag: 'ReplicaTree', tree: r.tree })
