/**
 * A clone of an Aurora cluster into a new cluster (the artifact's clone mode when its target does not
 * exist yet): a copy-on-write restore of the source under the target's name with the configured network,
 * windows, tags and deletion protection, a new master password, the source's IAM roles, then the
 * configured instances, writer first. Nothing is swapped, renamed or deleted, and the source is only read.
 * Pure: a function from what describe showed to a Plan.
 *
 *   create  CreateDBSubnetGroup (`<target>-subnets`, when subnet ids are given) →
 *           RestoreDBClusterToPointInTime(<target>, copy-on-write, latest restorable time) →
 *           ModifyDBCluster (windows, retention: what the restore does not take) → ModifyDBCluster (the new
 *           master password) → AddRoleToDBCluster per IAM role of the source → CreateDBInstance
 *           `<target>-1` (the writer), then `<target>-2..N`
 *
 * The run's tags (copyTags, with an id from the source and target names) are on everything it makes, so a
 * re-run finds its work: it plans on the world without it (beforeNewClusterRun) and gets the same plan,
 * whose progress describe then tells.
 */
import * as E from 'fp-ts/lib/Either.js'
import type { DBCluster, Environment, Tag } from '../domain.js'
import { identifierProblem, normalizeIdentifier } from '../identifiers.js'
import type { CreateDBInstanceRequest, NewPassword } from '../operations.js'
import { PLAN_VERSION, type Plan } from '../plan.js'
import { checkPlan } from '../predict/end-state.js'
import type { Problem } from '../problems.js'
import { planProgress } from '../progress.js'
import { beforeNewClusterRun, clusterRunInProgress, copyTags, newClusterRunIdFor, tagValue, TAG_RUN } from '../runs.js'
import { clusterRoles, defined, listed, memberSettings, userTags } from '../settings.js'
import { StepList } from '../steps.js'
import { namesTaken } from '../create-names.js'
import { instanceName, subnetGroupName, subnetIdsOf } from '../create.js'
import { clusterBuildSteps, membersOf, quotaProblems, type ClusterBuild } from './aurora-cluster.js'
import { planClusterClone } from './clone.js'

export interface NewClusterRequest {
  readonly source: string
  /** The new cluster's name; its instances are `<target>-1` (the writer) to `<target>-N`. */
  readonly target: string
  /** An existing DB subnet group, or two or more subnet ids for a new one (`<target>-subnets`). */
  readonly subnets: { readonly group: string } | { readonly ids: ReadonlyArray<string> }
  /** Default: the source's active VPC security groups. */
  readonly securityGroups?: ReadonlyArray<string> | undefined
  /** The instances' class (db.serverless when `serverless` is given). */
  readonly instanceClass: string
  readonly instanceCount: number
  /** Refused when it differs from the source's: a copy-on-write clone keeps its source's version. */
  readonly engineVersion?: string | undefined
  readonly backupRetentionDays?: number | undefined
  readonly backupWindow?: string | undefined
  readonly maintenanceWindow?: string | undefined
  readonly deletionProtection: boolean
  readonly tags: ReadonlyArray<Tag>
  /** Aurora Serverless v2 capacity, in ACUs: the cluster gets the range, the instances are db.serverless. */
  readonly serverless?: { readonly min: number; readonly max: number } | undefined
  /** The clone inherits the source's master password: it gets a new one (the secret MASTER_PASSWORD_SECRET, or one RDS manages). */
  readonly password: NewPassword
  /** For the swap clone, when the target exists (planCloneInto); a new cluster replaces nothing. */
  readonly allowProductionTarget?: boolean | undefined
}

export const SERVERLESS_CLASS = 'db.serverless'

const activeGroups = (c: DBCluster): ReadonlyArray<string> => (c.VpcSecurityGroups ?? []).filter((g) => g.Status === 'active').map((g) => g.VpcSecurityGroupId)

/** Plans the clone of `req.source` into the new cluster `req.target`, or says why it cannot, one problem a reason. */
export const planNewClusterClone = (current: Environment, req: NewClusterRequest): E.Either<ReadonlyArray<Problem>, Plan> => {
  const invalid = [req.source, req.target].flatMap((id): Problem[] => {
    const problem = identifierProblem(id)
    return problem === undefined ? [] : [{ _tag: 'InvalidClusterIdentifier', id, problem }]
  })
  if (invalid.length > 0) return E.left(invalid)
  const [sourceId, targetId] = [normalizeIdentifier(req.source), normalizeIdentifier(req.target)]
  if (sourceId === targetId) return E.left([{ _tag: 'SameCluster', id: sourceId }])
  const run = newClusterRunIdFor(sourceId, targetId)
  // the world before the run: a re-run (or a run under way) plans exactly what the first plan said
  const env = beforeNewClusterRun(current, run)
  const source = (env.clusters ?? []).find((c) => c.DBClusterIdentifier === sourceId)
  if (source === undefined) {
    const isInstance = env.instances.some((i) => i.DBInstanceIdentifier === sourceId)
    return E.left([isInstance ? { _tag: 'NotACluster', id: sourceId } : { _tag: 'NoSuchCluster', ids: [sourceId], region: env.region }])
  }

  const problems: Problem[] = []
  const count = req.instanceCount
  if (!Number.isInteger(count) || count < 1) problems.push({ _tag: 'InvalidInstanceCount', count, what: 'the instance count' })
  // RestoreDBClusterToPointInTime takes no EngineVersion (RDS API reference; @aws-sdk/client-rds's input
  // has none): the clone runs its source's version, so asking for another is refused rather than ignored
  if (req.engineVersion !== undefined && req.engineVersion !== source.EngineVersion) {
    problems.push({ _tag: 'CloneKeepsVersion', source: sourceId, sourceVersion: source.EngineVersion ?? '?', requested: req.engineVersion })
  }
  if ((source.DBClusterMembers ?? []).length === 0) problems.push({ _tag: 'SourceWithoutInstances', source: sourceId })

  const subnets = 'ids' in req.subnets ? subnetIdsOf(req.subnets.ids, 'subnet ids') : undefined
  if (subnets !== undefined) problems.push(...subnets.problems)
  const group = subnets === undefined ? ('group' in req.subnets ? req.subnets.group : undefined) : subnetGroupName(targetId)
  const instanceIds = Array.from({ length: Math.max(0, Math.min(Number.isInteger(count) ? count : 0, 64)) }, (_, k) => instanceName(targetId, k + 1))
  // the target's name (and its instances' and subnet group's) must be free: the run's own are not in `env`
  problems.push(...namesTaken(env, run, targetId, instanceIds, subnets === undefined ? [] : [group!]))
  problems.push(...quotaProblems(env, instanceIds.length, 1))
  if (problems.length > 0) return E.left(problems)

  const tags = userTags(req.tags)
  const list = new StepList()
  const made =
    subnets === undefined
      ? []
      : [
          list.add(
            {
              op: 'CreateDBSubnetGroup',
              id: group!,
              request: { DBSubnetGroupName: group!, DBSubnetGroupDescription: `${targetId}, a clone of ${sourceId} made by mitosis`, SubnetIds: [...subnets.ids], Tags: [...tags, ...copyTags(run, sourceId, group!)] },
            },
            'create',
            [],
          ),
        ]

  const writerId = membersOf(source).find((m) => m.writer)?.id
  const writer = env.instances.find((i) => i.DBInstanceIdentifier === writerId)
  // the source writer's own settings, but not where it is (its zone, its tier), its class or tags (the request's)
  const { Tags: _t, DBInstanceClass: _c, AvailabilityZone: _z, PromotionTier: _p, PreferredMaintenanceWindow: _w, ...own } = writer === undefined ? {} : memberSettings(writer, undefined, [])
  const instanceClass = req.serverless === undefined ? req.instanceClass : SERVERLESS_CLASS
  const build: ClusterBuild = {
    source: sourceId,
    cluster: targetId,
    restore: defined({
      DBSubnetGroupName: group,
      VpcSecurityGroupIds: listed(req.securityGroups ?? activeGroups(source)),
      DBClusterParameterGroupName: source.DBClusterParameterGroup,
      Port: source.Port,
      KmsKeyId: source.KmsKeyId,
      EnableIAMDatabaseAuthentication: source.IAMDatabaseAuthenticationEnabled,
      EnableCloudwatchLogsExports: listed(source.EnabledCloudwatchLogsExports ?? []),
      CopyTagsToSnapshot: source.CopyTagsToSnapshot,
      DeletionProtection: req.deletionProtection,
      ServerlessV2ScalingConfiguration: req.serverless === undefined ? undefined : { MinCapacity: req.serverless.min, MaxCapacity: req.serverless.max },
      Tags: [...tags, ...copyTags(run, sourceId, targetId)],
    }),
    modify: defined({ BackupRetentionPeriod: req.backupRetentionDays, PreferredBackupWindow: req.backupWindow, PreferredMaintenanceWindow: req.maintenanceWindow }),
    password: req.password,
    // a copy-on-write clone starts without IAM roles: the source's are added once the cluster is available
    roles: clusterRoles(source),
    members: instanceIds.map(
      (id): CreateDBInstanceRequest => ({
        DBInstanceIdentifier: id,
        DBInstanceClass: instanceClass,
        Engine: source.Engine,
        DBClusterIdentifier: targetId,
        ...own,
        Tags: [...tags, ...copyTags(run, sourceId, id)],
      }),
    ),
  }
  // the restore waits for the subnet group it is made in
  clusterBuildSteps(list, build, 'create', made)

  const plan: Plan = { version: PLAN_VERSION, kind: 'new-cluster', region: env.region, run, source: sourceId, target: targetId, steps: list.steps }
  const violations = checkPlan(env, plan)
  return violations.length > 0 ? E.left([{ _tag: 'PlanViolations', violations }]) : E.right(plan)
}

/**
 * Which clone `req` is, as the world says, with its plan: the swap clone (planClusterClone) when the target
 * cluster exists, or a swap run into it is under way; the clone into a new cluster when it does not, or when
 * what holds the name is this clone's own cluster and its run is not finished yet (a finished one is a target
 * like any other: cloning into it again swaps). The new-cluster plan is made once, whichever way it decides.
 */
const cloneInto = (env: Environment, req: NewClusterRequest): { readonly kind: 'aurora-cluster' | 'new-cluster'; readonly plan: () => E.Either<ReadonlyArray<Problem>, Plan> } => {
  const swap = { kind: 'aurora-cluster', plan: () => planClusterClone(env, { source: req.source, target: req.target, password: req.password, allowProductionTarget: req.allowProductionTarget }) } as const
  const [sourceId, targetId] = [normalizeIdentifier(req.source), normalizeIdentifier(req.target)]
  if (clusterRunInProgress(env, sourceId, targetId) !== undefined) return swap
  const target = (env.clusters ?? []).find((c) => c.DBClusterIdentifier === targetId)
  if (target === undefined) return { kind: 'new-cluster', plan: () => planNewClusterClone(env, req) }
  if (tagValue(target.TagList, TAG_RUN) !== newClusterRunIdFor(sourceId, targetId)) return swap
  const resumed = planNewClusterClone(env, req)
  return E.isRight(resumed) && planProgress(env, resumed.right).every((p) => p._tag === 'done') ? swap : { kind: 'new-cluster', plan: () => resumed }
}

/** Which clone `req` is, as the world says (see cloneInto). */
export const cloneIntoKind = (env: Environment, req: NewClusterRequest): 'aurora-cluster' | 'new-cluster' => cloneInto(env, req).kind

/** Plans the clone of `req.source` into `req.target`: a swap into an existing cluster, or a new cluster (cloneIntoKind). */
export const planCloneInto = (env: Environment, req: NewClusterRequest): E.Either<ReadonlyArray<Problem>, Plan> => cloneInto(env, req).plan()
