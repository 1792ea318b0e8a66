/**
 * The least-privilege IAM policy a plan needs, computed from the plan itself: describe and list
 * across the region's instances; each mutating action only on the instances (and groups,
 * snapshots, roles) its steps name; DeleteDBInstance only on old-* instances; the source only
 * as the origin of a read replica.
 */
import { arnPrefix, type Environment } from './domain.js'
import { passwordSet, resourceOf, type Operation } from './operations.js'
import { type Plan } from './plan.js'

export interface PolicyStatement {
  readonly Sid: string
  readonly Effect: 'Allow'
  readonly Action: ReadonlyArray<string>
  readonly Resource: ReadonlyArray<string>
}

export interface IamPolicy {
  readonly Version: '2012-10-17'
  readonly Statement: ReadonlyArray<PolicyStatement>
}

/** ARNs of the RDS resources an operation names, by the IAM resource types the action requires. */
const resourcesOf = (o: Operation, arn: (type: string, name: string) => string): string[] => {
  const r = o.request as Record<string, unknown>
  const named = (key: string, type: string): string[] => (typeof r[key] === 'string' ? [arn(type, r[key] as string)] : [])
  const groups = [...named('OptionGroupName', 'og'), ...named('DBParameterGroupName', 'pg'), ...named('DBSubnetGroupName', 'subgrp')]
  switch (o.op) {
    case 'CreateDBInstanceReadReplica':
      return [arn('db', o.id), arn('db', o.request.SourceDBInstanceIdentifier), ...groups]
    case 'RestoreDBInstanceFromDBSnapshot':
      return [arn('db', o.id), arn('snapshot', o.request.DBSnapshotIdentifier), ...groups]
    case 'ModifyDBInstance':
      return [arn('db', o.id), ...named('NewDBInstanceIdentifier', 'db'), ...groups]
    case 'PromoteReadReplica':
    case 'DeleteDBInstance':
      return [arn('db', o.id)]
    case 'AddTagsToResource':
      // an instance's or a cluster's: the ARN the step names
      return [o.request.ResourceName]
    case 'RunCommand':
    case 'RunLiquibase':
      return []
    case 'CreateDBSubnetGroup':
      return [arn('subgrp', o.id)]
    case 'CreateDBCluster':
      return [arn('cluster', o.id), ...named('DBSubnetGroupName', 'subgrp'), ...named('DBClusterParameterGroupName', 'cluster-pg')]
    case 'RestoreDBClusterToPointInTime':
      return [arn('cluster', o.id), arn('cluster', o.request.SourceDBClusterIdentifier), ...named('DBSubnetGroupName', 'subgrp'), ...named('DBClusterParameterGroupName', 'cluster-pg')]
    case 'ModifyDBCluster':
      return [arn('cluster', o.id), ...named('NewDBClusterIdentifier', 'cluster'), ...named('DBClusterParameterGroupName', 'cluster-pg')]
    case 'CreateDBInstance':
      return [arn('db', o.id), arn('cluster', o.request.DBClusterIdentifier), ...named('DBParameterGroupName', 'pg')]
    case 'DeleteDBCluster':
      return [arn('cluster', o.id), ...named('FinalDBSnapshotIdentifier', 'cluster-snapshot')]
    case 'AddRoleToDBCluster':
      return [arn('cluster', o.id)]
  }
}

export const iamPolicy = (env: Environment, plan: Plan): IamPolicy => {
  const prefix = arnPrefix(env)
  const arn = (type: string, name: string) => `${prefix}:${type}:${name}`
  const byAction = new Map<string, Set<string>>()
  const allow = (action: string, resources: ReadonlyArray<string>) => {
    const set = byAction.get(action) ?? new Set<string>()
    for (const r of resources) set.add(r)
    byAction.set(action, set)
  }
  const passRoles = new Set<string>()
  for (const step of plan.steps) {
    if (step.op === 'RunCommand' || step.op === 'RunLiquibase') continue
    allow(`rds:${step.op}`, resourcesOf(step, arn))
    const r = step.request as Record<string, unknown>
    // creating with tags needs AddTagsToResource on the new instance (or cluster, or subnet group)
    if (Array.isArray(r['Tags']) && r['Tags'].length > 0) {
      allow('rds:AddTagsToResource', [arn(resourceOf(step)?.kind ?? 'db', step.id)])
    }
    // enhanced monitoring hands RDS a role, and so does a role added to a cluster
    if (typeof r['MonitoringRoleArn'] === 'string') passRoles.add(r['MonitoringRoleArn'])
    if (step.op === 'AddRoleToDBCluster') passRoles.add(step.request.RoleArn)
  }
  // the run's lease: a tag on the target while the run lives, where the target is (renamed away to
  // old- until the new one holds the name), taken away at the end
  const targetType = plan.steps.some((s) => s.op === 'CreateDBCluster' || s.op === 'RestoreDBClusterToPointInTime') ? 'cluster' : 'db'
  // a create and a clone into a new cluster rename nothing away: their target never is old-
  const renamesAway = plan.kind === 'replica-tree' || plan.kind === 'aurora-cluster'
  const leased = [arn(targetType, plan.target), ...(renamesAway ? [arn(targetType, `old-${plan.target}`)] : [])]
  allow('rds:AddTagsToResource', leased)
  allow('rds:RemoveTagsFromResource', leased)
  const usesSnapshot = plan.steps.some((s) => s.op === 'RestoreDBInstanceFromDBSnapshot')
  const usesClusters = plan.steps.some((s) => resourceOf(s)?.kind === 'cluster')
  // a create's new subnet group is read by name first (is it free, or this run's own by its tags?)
  const subnetGroups = plan.steps.flatMap((s) => (s.op === 'CreateDBSubnetGroup' ? [arn('subgrp', s.id)] : []))
  const statements: PolicyStatement[] = [
    {
      Sid: 'DescribeEnvironment',
      Effect: 'Allow',
      Action: [
        'rds:DescribeDBInstances',
        'rds:ListTagsForResource',
        ...(usesSnapshot ? ['rds:DescribeDBSnapshots'] : []),
        ...(usesClusters ? ['rds:DescribeDBClusters'] : []),
        ...(subnetGroups.length > 0 ? ['rds:DescribeDBSubnetGroups'] : []),
      ],
      Resource: [arn('db', '*'), ...(usesSnapshot ? [arn('snapshot', '*')] : []), ...(usesClusters ? [arn('cluster', '*')] : []), ...subnetGroups],
    },
    // an Aurora clone also reads the account's quotas and the clusters shared through RAM; neither
    // action has resources of its own
    ...(plan.steps.some((s) => s.op === 'RestoreDBClusterToPointInTime')
      ? [{ Sid: 'ClusterCloneChecks', Effect: 'Allow' as const, Action: ['rds:DescribeAccountAttributes', 'ram:ListResources'], Resource: ['*'] }]
      : []),
    ...[...byAction].map(([action, resources]) => ({
      Sid: action.replace(/^rds:/, ''),
      Effect: 'Allow' as const,
      Action: [action],
      Resource: [...resources].sort(),
    })),
  ]
  // RDS makes the managed password's secret (rds!cluster-… or rds!db-…) as the caller, so the caller needs Secrets Manager
  if (plan.steps.some((s) => passwordSet(s) === 'managed')) {
    statements.push({
      Sid: 'ManagedMasterPassword',
      Effect: 'Allow',
      Action: ['secretsmanager:CreateSecret', 'secretsmanager:RotateSecret', 'secretsmanager:TagResource'],
      Resource: [`${prefix.replace(':rds:', ':secretsmanager:')}:secret:rds!*`],
    })
  }
  if (passRoles.size > 0) {
    statements.push({ Sid: 'PassMonitoringRole', Effect: 'Allow', Action: ['iam:PassRole'], Resource: [...passRoles].sort() })
  }
  return { Version: '2012-10-17', Statement: statements }
}
