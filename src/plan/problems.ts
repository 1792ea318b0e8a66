/**
 * Why no plan can be made, for every planner (a replica tree, an Aurora cluster, a create): one
 * tagged union, so a CLI prints one line per problem and a library caller can branch on the kind.
 * Every message names the database it is about.
 */
export type Problem =
  // a clone of a replica tree (and what the other planners share with it)
  | { readonly _tag: 'NoSuchInstance'; readonly ids: ReadonlyArray<string>; readonly region: string }
  | { readonly _tag: 'InvalidIdentifier'; readonly id: string; readonly problem: string }
  | { readonly _tag: 'SameInstance'; readonly id: string }
  | { readonly _tag: 'AuroraMember'; readonly id: string; readonly cluster: string }
  | { readonly _tag: 'TargetIsReplica'; readonly id: string; readonly parent: string }
  | { readonly _tag: 'TreesOverlap'; readonly source: string; readonly target: string }
  | { readonly _tag: 'NameTaken'; readonly id: string; readonly status: string }
  | { readonly _tag: 'NameTooLong'; readonly id: string; readonly problem: string }
  | { readonly _tag: 'EngineMismatch'; readonly source: string; readonly sourceEngine: string; readonly target: string; readonly targetEngine: string }
  | { readonly _tag: 'CascadeUnsupported'; readonly target: string; readonly depth: number; readonly engine: string; readonly version: string; readonly maxDepth: number }
  | { readonly _tag: 'SourceWithoutBackups'; readonly source: string }
  | { readonly _tag: 'NoSnapshot'; readonly source: string }
  | { readonly _tag: 'PlanViolations'; readonly violations: ReadonlyArray<string> }
  /**
   * The target (or, `relation`, one of its replicas or member instances: `tagged`) is tagged as
   * production (`key`=`value` as written), and the request did not allow a production target.
   */
  | {
      readonly _tag: 'ProductionTarget'
      readonly target: string
      readonly tagged: string
      readonly relation: 'self' | 'replica' | 'member'
      readonly key: string
      readonly value: string
    }
  // an Aurora clone
  | { readonly _tag: 'NoSuchCluster'; readonly ids: ReadonlyArray<string>; readonly region: string }
  | { readonly _tag: 'InvalidClusterIdentifier'; readonly id: string; readonly problem: string }
  | { readonly _tag: 'InstanceAndCluster'; readonly id: string }
  | { readonly _tag: 'NotACluster'; readonly id: string }
  | { readonly _tag: 'SameCluster'; readonly id: string }
  | { readonly _tag: 'RegionMismatch'; readonly source: string; readonly sourceRegion: string; readonly target: string; readonly targetRegion: string }
  | { readonly _tag: 'VersionMismatch'; readonly source: string; readonly sourceVersion: string; readonly target: string; readonly targetVersion: string }
  | { readonly _tag: 'SourceWithoutInstances'; readonly source: string }
  | { readonly _tag: 'SharedThroughRam'; readonly target: string; readonly arn: string }
  | { readonly _tag: 'MissingMember'; readonly cluster: string; readonly id: string }
  | { readonly _tag: 'QuotaExceeded'; readonly resource: 'DB instances' | 'DB clusters'; readonly current: number; readonly extra: number; readonly limit: number; readonly defaulted?: boolean }
  // a create
  | { readonly _tag: 'TargetTaken'; readonly id: string; readonly what: string }
  | { readonly _tag: 'InvalidInstanceCount'; readonly count: number; readonly what?: string }
  // a clone into a new cluster
  | { readonly _tag: 'CloneKeepsVersion'; readonly source: string; readonly sourceVersion: string; readonly requested: string }
  | { readonly _tag: 'InvalidSubnets'; readonly message: string }
  | { readonly _tag: 'SchemaNeedsPassword' }
  | { readonly _tag: 'SchemaNeedsDatabase'; readonly source: string }
  | { readonly _tag: 'SchemaEngine'; readonly engine: string }
  | { readonly _tag: 'InvalidName'; readonly what: string; readonly value: string }

/** One line per problem, naming the cluster or instance it is about. */
export const renderProblem = (p: Problem): string => {
  switch (p._tag) {
    case 'NoSuchInstance':
      return `${p.ids.join(', ')}: no such DB instance in ${p.region}`
    case 'InvalidIdentifier':
      return `${JSON.stringify(p.id)} is not a valid DB instance identifier: it ${p.problem}`
    case 'SameInstance':
      return `${p.id}: source and target are the same DB instance`
    case 'AuroraMember':
      return `${p.id}: is a member of the Aurora cluster ${p.cluster}; name the cluster instead (an Aurora cluster is cloned as a whole)`
    case 'TargetIsReplica':
      return `${p.id}: is a read replica of ${p.parent}; the target must be the root of its replica tree (try --target ${p.parent})`
    case 'TreesOverlap':
      return `${p.source} and ${p.target} are in the same replica tree; refusing to replace a tree that holds its own source`
    case 'NameTaken':
      return `${p.id}: already exists (${p.status}), and the clone needs that name; it may be left from an interrupted run: remove or rename it first`
    case 'NameTooLong':
      return `${p.id}: ${p.problem}; rename the target or shorten its replicas' identifiers`
    case 'EngineMismatch':
      return `${p.source} runs ${p.sourceEngine} but ${p.target} runs ${p.targetEngine}; a clone keeps the source's engine, so the target's settings would not fit`
    case 'CascadeUnsupported':
      return `${p.target}: its replica tree is ${p.depth} levels deep, but ${p.engine} ${p.version} allows ${p.maxDepth === 1 ? 'no replicas of replicas' : `at most ${p.maxDepth} levels`}`
    case 'SourceWithoutBackups':
      return `${p.source}: automated backups are off (BackupRetentionPeriod 0), and a read replica needs them; enable backups or use --restore-snapshot`
    case 'NoSnapshot':
      return `${p.source}: no available snapshot to restore from (the snapshot path needs one)`
    case 'PlanViolations':
      return `the plan failed its own safety check: ${p.violations.join('; ')}`
    case 'ProductionTarget': {
      const tagged = p.relation === 'self' ? 'is tagged' : `its ${p.relation === 'replica' ? 'replica' : 'member'} ${p.tagged} is tagged`
      return `${p.target}: ${tagged} ${p.key}=${p.value}; refusing to replace and delete a production database (is --target right? --allow-production-target overrides)`
    }
    case 'NoSuchCluster':
      return `${p.ids.join(', ')}: no such DB cluster or DB instance in ${p.region}`
    case 'InvalidClusterIdentifier':
      return `${JSON.stringify(p.id)} is not a valid DB cluster identifier: it ${p.problem}`
    case 'InstanceAndCluster':
      return `${p.id}: names both a DB instance and an Aurora DB cluster; cannot tell which to clone (rename one of them)`
    case 'NotACluster':
      return `${p.id}: is a DB instance, not an Aurora cluster, but the other side is a cluster; source and target must both be clusters or both be instances`
    case 'SameCluster':
      return `${p.id}: source and target are the same DB cluster`
    case 'RegionMismatch':
      return `${p.source} is in ${p.sourceRegion} but ${p.target} is in ${p.targetRegion}; a copy-on-write clone stays in its source's region`
    case 'VersionMismatch':
      return `${p.source} runs version ${p.sourceVersion} but ${p.target} runs ${p.targetVersion}; a clone keeps the source's major version, so the target's parameter groups would not fit`
    case 'SourceWithoutInstances':
      return `${p.source}: the source cluster has no DB instances; a copy-on-write clone needs at least one`
    case 'SharedThroughRam':
      return `${p.target}: is shared with other accounts through AWS RAM (${p.arn}); refusing to replace a shared cluster`
    case 'MissingMember':
      return `${p.cluster}: its member ${p.id} is not among the described DB instances`
    case 'QuotaExceeded':
      return `quota: the clone needs ${p.extra} more ${p.resource} beside the ${p.current} there are, ${p.current + p.extra} in all, over the limit of ${p.limit}${p.defaulted === true ? ' (default quota)' : ''}; raise the quota or make room first`
    case 'TargetTaken':
      return `${p.id}: the name is taken (${p.what}); choose another --target`
    case 'InvalidInstanceCount':
      return `${p.what ?? '--instances'} must be 1 or more, got ${p.count}`
    case 'CloneKeepsVersion':
      return `${p.source} runs version ${p.sourceVersion}, but engine version ${p.requested} was asked for; a copy-on-write clone keeps its source's version (RestoreDBClusterToPointInTime takes no EngineVersion): leave the engine version out, or upgrade the new cluster afterwards`
    case 'InvalidSubnets':
      return p.message
    case 'SchemaNeedsPassword':
      return '--changelog needs the master password to run Liquibase (--db-password-stdin or --db-password-file), not --manage-master-password'
    case 'SchemaNeedsDatabase':
      return `--changelog needs a database to run against: ${p.source} has none, give --database-name`
    case 'SchemaEngine':
      return `--changelog: Liquibase runs against aurora-postgresql and aurora-mysql, not ${p.engine}`
    case 'InvalidName':
      return `${JSON.stringify(p.value)} is not a valid ${p.what}`
  }
}

/** Whether a refusal is the production guard's (the CLI exits 2 for it). */
export const refusesProduction = (ps: ReadonlyArray<{ readonly _tag: string }>): boolean => ps.some((p) => p._tag === 'ProductionTarget')

export const renderProblems = (ps: ReadonlyArray<Problem>): string => ps.map(renderProblem).join('; ')
