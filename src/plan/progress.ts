/**
 * Where a plan stands, read off describe: for every step, whether its effect is complete, under
 * way, not begun, or failed. The interpreter waits on these predicates, and a re-run uses them to
 * skip what is done, so both agree by construction. Pure.
 */
import type { DBCluster, DBInstance, Environment } from './domain.js'
import { clusterSettings, instanceSettings, settingDifferences } from './settings.js'
import { OLD_PREFIX, stripOld, stripTemp, TEMP_PREFIX } from './identifiers.js'
import { passwordSet, renameTarget, resourceOf, setsPassword, type Settings } from './operations.js'
import { type Plan, type Step } from './plan.js'
import { clusterFootprint, footprint, tagsOf, tagValue, TAG_RENAMED_FROM, TAG_RESTARTED, TAG_RUN } from './runs.js'
import { isFailedStatus } from './rds-facts.js'

export type StepProgress =
  | { readonly _tag: 'pending' }
  | { readonly _tag: 'started'; readonly status: string }
  | { readonly _tag: 'done' }
  | { readonly _tag: 'failed'; readonly id: string; readonly status: string }

const pending: StepProgress = { _tag: 'pending' }
const done: StepProgress = { _tag: 'done' }

/**
 * The statuses a step puts its instance or cluster in while it is under way: in one of them the step
 * is still going (even when its effect already shows); past them, with its effect, it is done.
 */
const CREATING: ReadonlySet<string> = new Set(['creating'])
const PROMOTING: ReadonlySet<string> = new Set(['modifying'])
const MODIFYING: ReadonlySet<string> = new Set(['modifying'])
const RESETTING: ReadonlySet<string> = new Set(['resetting-master-credentials'])
const RENAMING: ReadonlySet<string> = new Set(['renaming'])

interface Subject {
  readonly id: string
  readonly status: string
}

const ofInstance = (i: DBInstance | undefined): Subject | undefined => (i === undefined ? undefined : { id: i.DBInstanceIdentifier, status: i.DBInstanceStatus })
const ofCluster = (c: DBCluster | undefined): Subject | undefined => (c === undefined ? undefined : { id: c.DBClusterIdentifier, status: c.Status })

/**
 * One step's progress on the instance or cluster it acts on: failed on a failed status; under way
 * while in one of its own statuses (`own`); else done once its effect shows.
 */
const judge = (subject: Subject | undefined, effect: boolean, own: ReadonlySet<string>): StepProgress => {
  if (subject === undefined) return pending
  if (isFailedStatus(subject.status)) return { _tag: 'failed', id: subject.id, status: subject.status }
  if (own.has(subject.status)) return { _tag: 'started', status: subject.status }
  return effect ? done : pending
}

/** The request's settings are what describe shows (a parameter group counts once it is attached). */
const settingsApplied = (env: Environment, i: DBInstance, request: Record<string, unknown>): boolean => {
  const wanted: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(request)) {
    if (k === 'DBInstanceIdentifier' || k === 'ApplyImmediately' || k === 'NewDBInstanceIdentifier') continue
    if (k === 'DBPortNumber') wanted['Port'] = v
    else if (k === 'CloudwatchLogsExportConfiguration') wanted['EnableCloudwatchLogsExports'] = (v as { EnableLogTypes?: string[] }).EnableLogTypes
    else wanted[k] = v
  }
  const attached = { ...i, DBParameterGroups: (i.DBParameterGroups ?? []).map((g) => ({ ...g, ParameterApplyStatus: 'in-sync' })) }
  const actual = instanceSettings(attached, tagsOf(env, i))
  const relevant = Object.fromEntries(Object.keys(wanted).map((k) => [k, actual[k as keyof Settings]])) as Settings
  return settingDifferences(wanted as Settings, relevant).length === 0
}

/** The run's instances and clusters as describe shows them now, found by their tags wherever renames took them. */
interface Seen {
  readonly env: Environment
  readonly plan: Plan
  readonly byId: ReadonlyMap<string, DBInstance>
  readonly clusterById: ReadonlyMap<string, DBCluster>
  /** copy-of → this run's copy; original identifier → the original this run tagged before renaming it away */
  readonly copies: ReadonlyMap<string, DBInstance>
  readonly originals: ReadonlyMap<string, DBInstance>
  readonly clusterCopies: ReadonlyMap<string, DBCluster>
  readonly clusterOriginals: ReadonlyMap<string, DBCluster>
}

const seen = (env: Environment, plan: Plan): Seen => {
  const f = footprint(env, plan.run)
  const c = clusterFootprint(env, plan.run)
  return {
    env,
    plan,
    byId: new Map(env.instances.map((i) => [i.DBInstanceIdentifier, i])),
    clusterById: new Map((env.clusters ?? []).map((x) => [x.DBClusterIdentifier, x])),
    copies: f.copies,
    originals: f.originals,
    clusterCopies: c.copies,
    clusterOriginals: c.originals,
  }
}

/**
 * The original of `name` was deleted by this run: nothing is left of it, and `name` holds this run's
 * copy. The copy takes the name only once the original has left it (renamed to old- after being
 * tagged), so this says that the tagging, the rename away, turning deletion protection off (RDS
 * deletes no protected instance) and the delete itself all happened.
 */
const instanceDeleted = (w: Seen, name: string): boolean =>
  !w.originals.has(name) && w.byId.get(name) !== undefined && w.byId.get(name) === w.copies.get(name)
const clusterDeleted = (w: Seen, name: string): boolean =>
  !w.clusterOriginals.has(name) && w.clusterById.get(name) !== undefined && w.clusterById.get(name) === w.clusterCopies.get(name)

/** The instance a step acts on, wherever the run's renames took it: a copy (temp-), an original (old-), or by name. */
const instanceOf = (w: Seen, id: string): DBInstance | undefined =>
  id.startsWith(TEMP_PREFIX) ? w.copies.get(stripTemp(id)) : id.startsWith(OLD_PREFIX) ? w.originals.get(stripOld(id)) : w.byId.get(id)
const clusterOf = (w: Seen, id: string): DBCluster | undefined =>
  id.startsWith(TEMP_PREFIX) ? w.clusterCopies.get(stripTemp(id)) : id.startsWith(OLD_PREFIX) ? w.clusterOriginals.get(stripOld(id)) : w.clusterById.get(id)

const hasTags = (tags: ReadonlyArray<{ Key: string; Value: string }>, wanted: ReadonlyArray<{ Key: string; Value: string }>): boolean =>
  wanted.every((t) => tagValue(tags, t.Key) === t.Value)

/**
 * Where a step stands by what describe shows of its own effect (never by what a later step shows,
 * but where the note says which later effect can only hold if this step ran):
 *   a copy is made        the run's copy exists (by its tags), past `creating`
 *   a promotion           the copy has no replica source, with backups on when asked for
 *   settings              the copy shows them (gated on the steps before: a copy may show them by chance)
 *   a rename away         the original (by its tag) is under old-, or was deleted by the run
 *   a rename into place   the name holds the run's copy
 *   a tag                 the instance or cluster carries it, or was deleted by the run
 *   a delete              the original is gone and its name holds the run's copy
 */
const ownProgress = (w: Seen, step: Step): StepProgress => {
  const { env, plan } = w
  switch (step.op) {
    case 'CreateDBInstanceReadReplica':
    case 'RestoreDBInstanceFromDBSnapshot':
    case 'CreateDBInstance':
      return judge(ofInstance(w.copies.get(stripTemp(step.id))), true, CREATING)
    case 'PromoteReadReplica': {
      const copy = w.copies.get(stripTemp(step.id))
      const wantsBackups = (step.request.BackupRetentionPeriod ?? 0) > 0
      const promoted = copy !== undefined && copy.ReadReplicaSourceDBInstanceIdentifier === undefined && (!wantsBackups || (copy.BackupRetentionPeriod ?? 0) > 0)
      return judge(ofInstance(copy), promoted, PROMOTING)
    }
    case 'ModifyDBInstance': {
      const to = step.request.NewDBInstanceIdentifier
      if (to !== undefined && step.id.startsWith(TEMP_PREFIX)) {
        const copy = w.copies.get(to)
        return judge(ofInstance(copy), copy !== undefined && w.byId.get(to) === copy, RENAMING)
      }
      if (to !== undefined) {
        const original = w.originals.get(step.id)
        if (original === undefined) return instanceDeleted(w, step.id) ? done : pending
        return judge(ofInstance(original), original.DBInstanceIdentifier === to, RENAMING)
      }
      const i = instanceOf(w, step.id)
      // the old one is gone: deleted by this run, so its deletion protection was off
      if (i === undefined) return step.id.startsWith(OLD_PREFIX) && instanceDeleted(w, stripOld(step.id)) ? done : pending
      const password = passwordSet(step)
      if (password === 'managed') return judge(ofInstance(i), i.MasterUserSecret?.SecretArn !== undefined, RESETTING)
      // a new password shows nowhere but in the status it puts the instance in for a while: the
      // interpreter counts it done once RDS has taken it; later, see passwordProven
      if (password === 'secret') return RESETTING.has(i.DBInstanceStatus) ? done : judge(ofInstance(i), false, RESETTING)
      return judge(ofInstance(i), settingsApplied(env, i, step.request), MODIFYING)
    }
    case 'AddTagsToResource': {
      const wanted = step.request.Tags
      const renamedAway = wanted.some((t) => t.Key === TAG_RENAMED_FROM)
      if (resourceOf(step)?.kind === 'cluster') {
        const candidates = [w.clusterById.get(step.id), w.clusterOriginals.get(step.id), w.clusterCopies.get(stripTemp(step.id))]
        if (candidates.some((c) => c !== undefined && hasTags(c.TagList ?? [], wanted))) return done
        return renamedAway && clusterDeleted(w, step.id) ? done : pending
      }
      const candidates = [w.byId.get(step.id), w.originals.get(step.id), w.copies.get(stripTemp(step.id))]
      if (candidates.some((i) => i !== undefined && hasTags(tagsOf(env, i), wanted))) return done
      return renamedAway && instanceDeleted(w, step.id) ? done : pending
    }
    case 'DeleteDBInstance': {
      const original = stripOld(step.id)
      const i = w.byId.get(step.id)
      if (i !== undefined) return i === w.originals.get(original) && i.DBInstanceStatus === 'deleting' ? { _tag: 'started', status: 'deleting' } : pending
      return instanceDeleted(w, original) ? done : pending
    }
    case 'RunCommand': {
      // a hook leaves no trace of its own: the tag written right after it says it ran (on the target
      // root instance, or on the target cluster for an Aurora clone)
      const root = w.byId.get(plan.target)
      const cluster = w.clusterById.get(plan.target)
      return (root !== undefined && tagValue(tagsOf(env, root), TAG_RESTARTED) === plan.run) ||
        (cluster !== undefined && tagValue(cluster.TagList, TAG_RESTARTED) === plan.run)
        ? done
        : pending
    }
    // cluster steps are read from the environment's clusters (DescribeDBClusters, with TagList)
    case 'RestoreDBClusterToPointInTime':
      return judge(ofCluster(w.clusterCopies.get(stripTemp(step.id))), true, CREATING)
    case 'CreateDBCluster':
      return judge(ofCluster(w.clusterCopies.get(step.id)), true, CREATING)
    case 'ModifyDBCluster': {
      const to = step.request.NewDBClusterIdentifier
      if (to !== undefined && step.id.startsWith(TEMP_PREFIX)) {
        const copy = w.clusterCopies.get(to)
        return judge(ofCluster(copy), copy !== undefined && w.clusterById.get(to) === copy, RENAMING)
      }
      if (to !== undefined) {
        const original = w.clusterOriginals.get(step.id)
        if (original === undefined) return clusterDeleted(w, step.id) ? done : pending
        return judge(ofCluster(original), original.DBClusterIdentifier === to, RENAMING)
      }
      const c = clusterOf(w, step.id)
      if (c === undefined) return step.id.startsWith(OLD_PREFIX) && clusterDeleted(w, stripOld(step.id)) ? done : pending
      const password = passwordSet(step)
      if (password === 'managed') return judge(ofCluster(c), c.MasterUserSecret?.SecretArn !== undefined, RESETTING)
      if (password === 'secret') return RESETTING.has(c.Status) ? done : judge(ofCluster(c), false, RESETTING)
      const { DBClusterIdentifier: _id, ApplyImmediately: _a, CloudwatchLogsExportConfiguration: _l, ...wanted } = step.request
      const actual = clusterSettings(c) as Record<string, unknown>
      const applied = Object.entries(wanted).every(([k, v]) => JSON.stringify(actual[k]) === JSON.stringify(v))
      return judge(ofCluster(c), applied, MODIFYING)
    }
    case 'AddRoleToDBCluster': {
      const c = clusterOf(w, step.id)
      if (c !== undefined && isFailedStatus(c.Status)) return { _tag: 'failed', id: c.DBClusterIdentifier, status: c.Status }
      const role = c?.AssociatedRoles?.find((r) => r.RoleArn === step.request.RoleArn)
      if (role === undefined) return pending
      return role.Status === undefined || role.Status === 'ACTIVE' ? done : { _tag: 'started', status: role.Status }
    }
    case 'CreateDBSubnetGroup': {
      // read only when planning a create or a clone into a new cluster (DescribeDBSubnetGroups); RDS makes no cluster in a subnet group
      // that does not exist, so the run's cluster in it says it was made too
      const group = env.subnetGroups?.find((g) => g.DBSubnetGroupName === step.id)
      if (group !== undefined && tagValue(group.TagList, TAG_RUN) === plan.run) return done
      const inIt = plan.steps.find((s) => (s.op === 'CreateDBCluster' || s.op === 'RestoreDBClusterToPointInTime') && s.request.DBSubnetGroupName === step.id)
      return inIt !== undefined && w.clusterCopies.get(inIt.id) !== undefined ? done : pending
    }
    case 'RunLiquibase':
      // leaves no trace describe shows; liquibase update is a no-op the second time, so a re-run runs it again
      return pending
    case 'DeleteDBCluster': {
      const original = stripOld(step.id)
      const c = w.clusterById.get(step.id)
      if (c !== undefined) return c === w.clusterOriginals.get(original) && c.Status === 'deleting' ? { _tag: 'started', status: 'deleting' } : pending
      return clusterDeleted(w, original) ? done : pending
    }
  }
}

/**
 * Steps whose effect only this run, sending its steps in order, can have made: a copy or a tag
 * with the run's id, a rename of the run's own. A settings change is not among them (a copy may
 * show the settings by chance).
 */
const provesOrder = (s: Step): boolean =>
  s.op === 'AddTagsToResource' || s.op === 'CreateDBInstance' || s.op === 'CreateDBInstanceReadReplica' || renameTarget(s) !== undefined ||
  // a copy-on-write clone starts with no IAM roles: a role on it was added by this run
  s.op === 'AddRoleToDBCluster'

/**
 * A new master password (MasterUserPassword) shows nowhere in describe. It is done once a step that
 * waits for it (directly or not) shows an effect that proves the run went past it: the interpreter
 * sends no step before the steps it waits for are done. Until then it is sent again on a re-run
 * (the same password: harmless).
 */
const passwordProven = (plan: Plan, n: number, own: ReadonlyArray<StepProgress>): boolean => {
  const seenSteps = new Set<number>()
  const queue = [n]
  while (queue.length > 0) {
    const k = queue.shift()!
    for (const s of plan.steps) {
      if (!s.after.includes(k) || seenSteps.has(s.n)) continue
      seenSteps.add(s.n)
      if (provesOrder(s) && own[s.n - 1]?._tag !== 'pending' && own[s.n - 1]?._tag !== 'failed') return true
      queue.push(s.n)
    }
  }
  return false
}

/**
 * Each step by its own effect alone (index n-1), for a run that sends steps in order: the
 * interpreter reads this for the steps it has sent.
 */
export const stepProgress = (env: Environment, plan: Plan): ReadonlyArray<StepProgress> => {
  const w = seen(env, plan)
  const own = plan.steps.map((s) => ownProgress(w, s))
  return own.map((p, k) => {
    const s = plan.steps[k]!
    return p._tag === 'pending' && passwordSet(s) === 'secret' && setsPassword(s) && passwordProven(plan, s.n, own) ? done : p
  })
}

/**
 * Where a plan stands (index n-1): a step is done or under way only when its own effect shows and
 * every step it waits for is done; a step whose effect shows before the steps it waits for are done
 * (a copy that inherited the settings its modify would set) is still to do, after them. A re-run
 * skips what this calls done, waits for what is under way, and sends the rest.
 */
export const planProgress = (env: Environment, plan: Plan): ReadonlyArray<StepProgress> => {
  const own = stepProgress(env, plan)
  const progress: StepProgress[] = []
  for (const s of plan.steps) {
    const p = own[s.n - 1]!
    const inOrder = s.after.every((a) => progress[a - 1]?._tag === 'done')
    progress.push(p._tag === 'failed' || inOrder ? p : pending)
  }
  return progress
}

export const isDone = (p: StepProgress): boolean => p._tag === 'done'

/**
 * Why sending `step` now would touch something that is not the run's own, or undefined: a rename
 * away of a name that already holds the run's copy, a change to or delete of an old- that this run
 * did not rename away itself. The planner never plans these; describe is the judge before each call.
 */
export const refusal = (env: Environment, plan: Plan, step: Step): string | undefined => {
  const w = seen(env, plan)
  const notRenamedAway = (kind: string, there: unknown, original: unknown) =>
    there !== undefined && there !== original ? `${step.id} is not the ${kind} this run renamed away from ${stripOld(step.id)} (it has no ${TAG_RENAMED_FROM} tag of run ${plan.run}); refusing to change or delete it` : undefined
  const holdsCopy = (kind: string, there: unknown, copy: unknown) =>
    there !== undefined && there === copy ? `${step.id} already holds this run's new ${kind}; refusing to rename it away` : undefined
  switch (step.op) {
    case 'ModifyDBInstance':
    case 'DeleteDBInstance':
      if (step.id.startsWith(OLD_PREFIX)) return notRenamedAway('DB instance', w.byId.get(step.id), w.originals.get(stripOld(step.id)))
      if (step.op === 'ModifyDBInstance' && step.request.NewDBInstanceIdentifier !== undefined && !step.id.startsWith(TEMP_PREFIX)) {
        return holdsCopy('DB instance', w.byId.get(step.id), w.copies.get(step.id))
      }
      return undefined
    case 'ModifyDBCluster':
    case 'DeleteDBCluster':
      if (step.id.startsWith(OLD_PREFIX)) return notRenamedAway('DB cluster', w.clusterById.get(step.id), w.clusterOriginals.get(stripOld(step.id)))
      if (step.op === 'ModifyDBCluster' && step.request.NewDBClusterIdentifier !== undefined && !step.id.startsWith(TEMP_PREFIX)) {
        return holdsCopy('DB cluster', w.clusterById.get(step.id), w.clusterCopies.get(step.id))
      }
      return undefined
    default:
      return undefined
  }
}
