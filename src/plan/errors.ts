/**
 * Why no plan can be made: a tagged union, so a CLI prints one line and a library caller can
 * branch on the kind. Every message names the database it is about.
 */
export type PlanProblem =
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

export const renderProblem = (p: PlanProblem): string => {
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
  }
}

/** Whether a refusal is the production guard's (the CLI exits 2 for it). */
export const refusesProduction = (ps: ReadonlyArray<{ readonly _tag: string }>): boolean => ps.some((p) => p._tag === 'ProductionTarget')

export const renderProblems = (ps: ReadonlyArray<PlanProblem>): string => ps.map(renderProblem).join('; ')
