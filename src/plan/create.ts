/**
 * The create planner (database-artifact-factory's "create"): a new, empty Aurora cluster like an
 * existing one, with its instances and, from a Liquibase changelog, its schema. Pure: a function
 * from what describe showed to a Plan.
 *
 *   create  CreateDBSubnetGroup (`<target>-subnets`, when subnets are given) → CreateDBCluster with
 *           the source cluster's engine, version, encryption (its KMS key), parameter group, windows,
 *           backup retention, deletion protection, security groups and tags → CreateDBInstance per
 *           instance (`<target>-1` is the writer, the rest wait for it)
 *   schema  RunLiquibase: `liquibase update` with the changelog on the new writer endpoint
 *
 * The master password is never in the plan: the cluster either has RDS manage it in Secrets Manager
 * (ManageMasterUserPassword), or the request names a secret ({fromSecret: "master-password"}) that the
 * interpreter fills in when it sends the call; the schema step names the same secret.
 */
import * as E from 'fp-ts/lib/Either.js'
import { memberSettings, userTags } from './settings.js'
import type { DBCluster, Environment } from './domain.js'
import type { Problem } from './problems.js'
import { identifierProblem, normalizeIdentifier } from './identifiers.js'
import { MASTER_PASSWORD_SECRET, passwordFields, type CreateDBClusterRequest, type NewPassword } from './operations.js'
import { PLAN_VERSION, type Plan } from './plan.js'
import { checkPlan } from './predict/end-state.js'
import { copyTags, createRunIdFor } from './runs.js'
import { namesTaken } from './create-names.js'
import { StepList } from './steps.js'

export interface CreateRequest {
  /** The cluster the new one is like (its settings, not its data). */
  readonly like: string
  readonly target: string
  /** `source`: the source's subnet group (the default); or two or more subnet ids for a new group. */
  readonly subnets?: 'source' | ReadonlyArray<string> | undefined
  /** Default: the class of the source's writer. */
  readonly instanceClass?: string | undefined
  /** Default 1. */
  readonly instances?: number | undefined
  /** Default: the source's DatabaseName. */
  readonly databaseName?: string | undefined
  /** Default: the source's MasterUsername. */
  readonly masterUsername?: string | undefined
  /** `managed`: RDS keeps it in Secrets Manager; `secret`: given to the interpreter as MASTER_PASSWORD_SECRET. */
  readonly password: NewPassword
  /** A local changelog for the schema step (its existence is the caller's to check). */
  readonly changelog?: string | undefined
  /** Default: the source's engine version. */
  readonly engineVersion?: string | undefined
}

export const subnetGroupName = (target: string): string => `${target}-subnets`

/** Subnet ids for a new subnet group, trimmed and each once, and what is wrong with them (`--subnets` as the CLI names them; `label` otherwise). */
export const subnetIdsOf = (given: ReadonlyArray<string>, label = '--subnets'): { readonly ids: ReadonlyArray<string>; readonly problems: ReadonlyArray<Problem> } => {
  const ids = given.map((s) => s.trim()).filter((s) => s !== '')
  const bad = ids.filter((s) => !/^subnet-[0-9a-z]+$/.test(s))
  const problems: Problem[] =
    bad.length > 0
      ? [{ _tag: 'InvalidSubnets', message: `${label}: not a subnet id: ${bad.join(', ')} (expected subnet-…, or "source")` }]
      : new Set(ids).size < 2
        ? [{ _tag: 'InvalidSubnets', message: `${label}: give two or more subnets (in two or more Availability Zones), or "source"` }]
        : []
  return { ids: [...new Set(ids)], problems }
}
export const instanceName = (target: string, k: number): string => `${target}-${k}`

const schemaEngine = (engine: string): 'postgres' | 'mysql' | undefined =>
  engine.includes('postgres') ? 'postgres' : engine === 'aurora-mysql' || engine === 'aurora' ? 'mysql' : undefined

const major = (v: string | undefined): string | undefined => v?.split('.')[0]

/** RDS's rules for a database name and a master user name: a letter, then letters, digits, underscores. */
const NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/

export const planCreate = (env: Environment, req: CreateRequest): E.Either<ReadonlyArray<Problem>, Plan> => {
  const problems: Problem[] = []
  const invalid = [req.like, req.target].flatMap((id): Problem[] => {
    const problem = identifierProblem(id)
    return problem === undefined ? [] : [{ _tag: 'InvalidClusterIdentifier', id, problem }]
  })
  if (invalid.length > 0) return E.left(invalid)
  const [sourceId, targetId] = [normalizeIdentifier(req.like), normalizeIdentifier(req.target)]
  const clusters = env.clusters ?? []
  const source = clusters.find((c) => c.DBClusterIdentifier === sourceId)
  if (source === undefined) {
    const isInstance = env.instances.some((i) => i.DBInstanceIdentifier === sourceId)
    return E.left([isInstance ? { _tag: 'NotACluster', id: sourceId } : { _tag: 'NoSuchCluster', ids: [sourceId], region: env.region }])
  }
  const run = createRunIdFor(sourceId, targetId)
  const count = req.instances ?? 1
  if (!Number.isInteger(count) || count < 1) problems.push({ _tag: 'InvalidInstanceCount', count })

  const newGroup = req.subnets !== undefined && req.subnets !== 'source'
  const instanceIds = Array.from({ length: Math.max(0, Math.min(count, 64)) }, (_, k) => instanceName(targetId, k + 1))
  problems.push(...namesTaken(env, run, targetId, instanceIds, newGroup ? [subnetGroupName(targetId)] : []))

  let subnetGroup: string | undefined = source.DBSubnetGroup
  let subnetIds: ReadonlyArray<string> | undefined
  if (newGroup) {
    const checked = subnetIdsOf(req.subnets)
    problems.push(...checked.problems)
    subnetIds = checked.ids
    subnetGroup = subnetGroupName(targetId)
  }

  const databaseName = req.databaseName ?? source.DatabaseName
  const masterUsername = req.masterUsername ?? source.MasterUsername ?? 'postgres'
  if (req.databaseName !== undefined && !NAME.test(req.databaseName)) problems.push({ _tag: 'InvalidName', what: 'database name (a letter, then letters, digits, underscores)', value: req.databaseName })
  if (req.masterUsername !== undefined && !NAME.test(req.masterUsername)) problems.push({ _tag: 'InvalidName', what: 'master user name (a letter, then letters, digits, underscores)', value: req.masterUsername })
  const engine = schemaEngine(source.Engine)
  if (req.changelog !== undefined) {
    if (req.password === 'managed') problems.push({ _tag: 'SchemaNeedsPassword' })
    if (databaseName === undefined) problems.push({ _tag: 'SchemaNeedsDatabase', source: sourceId })
    if (engine === undefined) problems.push({ _tag: 'SchemaEngine', engine: source.Engine })
  }
  if (problems.length > 0) return E.left(problems)

  const writerId = (source.DBClusterMembers ?? []).find((m) => m.IsClusterWriter)?.DBInstanceIdentifier
  const writer = env.instances.find((i) => i.DBInstanceIdentifier === writerId)
  const instanceClass = req.instanceClass ?? writer?.DBInstanceClass ?? 'db.r6g.large'
  // a different major version takes other parameter groups: the defaults then
  const sameMajor = req.engineVersion === undefined || major(req.engineVersion) === major(source.EngineVersion)
  const tags = userTags(source.TagList ?? [])
  const list = new StepList()

  const group =
    subnetIds === undefined
      ? []
      : [
          list.add(
            {
              op: 'CreateDBSubnetGroup',
              id: subnetGroup!,
              request: { DBSubnetGroupName: subnetGroup!, DBSubnetGroupDescription: `${targetId}, created by mitosis like ${sourceId}`, SubnetIds: [...subnetIds], Tags: [...tags, ...copyTags(run, sourceId, subnetGroup!)] },
            },
            'create',
            [],
          ),
        ]
  const request: CreateDBClusterRequest = {
    DBClusterIdentifier: targetId,
    Engine: source.Engine,
    ...defined({
      EngineVersion: req.engineVersion ?? source.EngineVersion,
      EngineMode: source.EngineMode,
      DatabaseName: databaseName,
    }),
    MasterUsername: masterUsername,
    ...passwordFields(req.password),
    StorageEncrypted: true,
    ...defined({
      KmsKeyId: source.KmsKeyId,
      DBSubnetGroupName: subnetGroup,
      VpcSecurityGroupIds: subnetIds === undefined ? activeGroups(source) : undefined,
      DBClusterParameterGroupName: sameMajor ? source.DBClusterParameterGroup : undefined,
      Port: source.Port,
      BackupRetentionPeriod: source.BackupRetentionPeriod,
      PreferredBackupWindow: source.PreferredBackupWindow,
      PreferredMaintenanceWindow: source.PreferredMaintenanceWindow,
      DeletionProtection: source.DeletionProtection,
      CopyTagsToSnapshot: source.CopyTagsToSnapshot,
      EnableCloudwatchLogsExports: (source.EnabledCloudwatchLogsExports ?? []).length > 0 ? [...source.EnabledCloudwatchLogsExports!] : undefined,
      EnableIAMDatabaseAuthentication: source.IAMDatabaseAuthenticationEnabled,
      ServerlessV2ScalingConfiguration: source.ServerlessV2ScalingConfiguration === undefined ? undefined : { ...source.ServerlessV2ScalingConfiguration },
    }),
    Tags: [...tags, ...copyTags(run, sourceId, targetId)],
  }
  const created = list.add({ op: 'CreateDBCluster', id: targetId, request }, 'create', group)

  const own = writer === undefined ? {} : memberSettings(writer, undefined, [])
  const instances: number[] = []
  for (let k = 1; k <= count; k++) {
    const id = instanceName(targetId, k)
    instances.push(
      list.add(
        {
          op: 'CreateDBInstance',
          id,
          request: {
            DBInstanceIdentifier: id,
            DBInstanceClass: instanceClass,
            Engine: source.Engine,
            DBClusterIdentifier: targetId,
            ...defined({
              DBParameterGroupName: sameMajor ? own.DBParameterGroupName : undefined,
              AutoMinorVersionUpgrade: own.AutoMinorVersionUpgrade,
              PubliclyAccessible: own.PubliclyAccessible,
              CACertificateIdentifier: own.CACertificateIdentifier,
            }),
            Tags: [...tags, ...copyTags(run, sourceId, id)],
          },
        },
        'create',
        // the first instance of a cluster becomes its writer
        k === 1 ? [created] : [instances[0]!],
      ),
    )
  }
  if (req.changelog !== undefined) {
    list.add(
      {
        op: 'RunLiquibase',
        id: targetId,
        request: {
          DBClusterIdentifier: targetId,
          Engine: engine!,
          Changelog: req.changelog,
          Database: databaseName!,
          Username: masterUsername,
          Password: { fromSecret: MASTER_PASSWORD_SECRET },
        },
      },
      'schema',
      instances,
    )
  }
  const plan: Plan = { version: PLAN_VERSION, kind: 'create', region: env.region, run, source: sourceId, target: targetId, steps: list.steps }
  const violations = checkPlan(env, plan)
  return violations.length > 0 ? E.left([{ _tag: 'PlanViolations', violations }]) : E.right(plan)
}

const activeGroups = (c: DBCluster): string[] | undefined => {
  const ids = (c.VpcSecurityGroups ?? []).filter((g) => g.Status === 'active').map((g) => g.VpcSecurityGroupId)
  return ids.length > 0 ? ids : undefined
}

const defined = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
