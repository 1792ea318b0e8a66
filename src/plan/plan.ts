/**
 * The plan as data: its steps (an operation, the steps it waits for, the phase it belongs to), what kind
 * of plan it is, and the file it is saved in. A saved file also keeps its basis, as Terraform keeps it:
 * the source and the target as they were before the run began (so a half-done run still matches), with
 * the settings the plan copies. A plan applied later refuses to run against a world that no longer
 * matches, naming the change.
 */
import * as t from 'io-ts'
import type { Environment } from './domain.js'
import { CLUSTER_SETTING_KEYS, clusterRoles, clusterSettings, differences, instanceSettings, MEMBER_SETTING_KEYS, memberSettings, roleKey, settingDifferences } from './settings.js'
import { replicaForest } from './forest.js'
import { Operation, resourceOf } from './operations.js'
import { runInProgress, tagsOf, targetTreeIds, worldBeforeRun } from './runs.js'

/** Why a step is in the plan: the five phases of a clone, in the order they happen. */
export const Phase = t.keyof({ create: null, schema: null, copy: null, 'rename-old': null, 'rename-temp': null, restart: null, delete: null })
export type Phase = t.TypeOf<typeof Phase>

export const Step = t.intersection([Operation, t.type({ n: t.number, after: t.array(t.number), phase: Phase })])
export type Step = t.TypeOf<typeof Step>

export const PLAN_VERSION = 1

/**
 * What a plan is: a replica tree cloned (`replica-tree`), an Aurora cluster cloned (`aurora-cluster`), an
 * Aurora cluster cloned into a new cluster (`new-cluster`: nothing swapped, renamed or deleted), or a new,
 * empty cluster made like another (`create`). Every reader switches on it instead of guessing.
 */
export const PlanKind = t.keyof({ 'replica-tree': null, 'aurora-cluster': null, 'new-cluster': null, create: null })
export type PlanKind = t.TypeOf<typeof PlanKind>

const PlanFields = {
  version: t.literal(PLAN_VERSION),
  region: t.string,
  /** Tags the run's work so a re-run can find it; stable across re-runs of the same clone. */
  run: t.string,
  source: t.string,
  target: t.string,
  steps: t.array(Step),
}

const PlanWritten = t.type({ kind: PlanKind, ...PlanFields }, 'Plan')

/** A version-1 plan as saved before plans said their kind: the kind is read from its steps, once, on decode. */
const PlanSaved = t.intersection([t.type(PlanFields), t.partial({ kind: PlanKind })])

/** The kind of a plan saved before plans said it: a create makes a cluster, an Aurora clone acts on one. */
export const inferredKind = (steps: ReadonlyArray<Operation>): PlanKind =>
  steps.some((s) => s.op === 'CreateDBCluster') ? 'create' : steps.some((s) => resourceOf(s)?.kind === 'cluster') ? 'aurora-cluster' : 'replica-tree'

export type Plan = t.TypeOf<typeof PlanWritten>

export const Plan = new t.Type<Plan, Plan, unknown>(
  'Plan',
  PlanWritten.is,
  (u, c) => {
    const v = PlanSaved.validate(u, c)
    if (v._tag === 'Left') return v
    const { version, kind, ...rest } = v.right
    return t.success({ version, kind: kind ?? inferredKind(rest.steps), ...rest })
  },
  t.identity,
)

// ---------------------------------------------------------------------------------------------
// The saved file: the plan and its basis.

export const BasisInstance = t.intersection([
  t.type({ id: t.string, settings: t.UnknownRecord }),
  t.partial({ resource: t.string, engineVersion: t.string, parent: t.string }),
])
export type BasisInstance = t.TypeOf<typeof BasisInstance>

export const BasisMember = t.intersection([
  t.type({ id: t.string, writer: t.boolean, settings: t.UnknownRecord }),
  t.partial({ resource: t.string }),
])
export type BasisMember = t.TypeOf<typeof BasisMember>

/** An Aurora cluster of a saved plan: its settings (and IAM roles), DbClusterResourceId and members. */
export const BasisCluster = t.intersection([
  t.type({ id: t.string, settings: t.UnknownRecord, roles: t.array(t.string), members: t.array(BasisMember) }),
  t.partial({ resource: t.string, engineVersion: t.string }),
])
export type BasisCluster = t.TypeOf<typeof BasisCluster>

/** Instance plans keep `instances`; Aurora plans keep the source and target `clusters` (and `instances` is empty). */
export const Basis = t.intersection([t.type({ instances: t.array(BasisInstance) }), t.partial({ clusters: t.array(BasisCluster) })])
export type Basis = t.TypeOf<typeof Basis>

const PlanFileFields = t.type({ kind: t.literal('mitosis-plan'), plan: Plan, basis: Basis }, 'PlanFile')
export type PlanFile = t.TypeOf<typeof PlanFileFields>

const hasKind = (u: unknown): boolean =>
  typeof u === 'object' && u !== null && typeof (u as { plan?: unknown }).plan === 'object' && (u as { plan: object | null }).plan !== null && 'kind' in (u as { plan: object }).plan

/**
 * A saved plan and its basis. A version-1 file from before plans said their kind gets it here, once: from
 * its steps (Plan's decode), or from its basis, which holds clusters only for an Aurora plan.
 */
export const PlanFile = new t.Type<PlanFile, PlanFile, unknown>(
  'PlanFile',
  PlanFileFields.is,
  (u, c) => {
    const v = PlanFileFields.validate(u, c)
    if (v._tag === 'Left' || hasKind(u)) return v
    const { plan, basis } = v.right
    const kind = plan.kind === 'replica-tree' && (basis.clusters ?? []).length > 0 ? 'aurora-cluster' : plan.kind
    return t.success({ ...v.right, plan: { ...plan, kind } })
  },
  t.identity,
)

/**
 * The basis of an Aurora plan: the source and target clusters as they were before the run; of a create
 * plan, the cluster it is like (whose settings it copies; the names it takes are checked as it is applied);
 * of a clone into a new cluster, the source, and the target's absence before the run (a target cluster
 * that is not the run's own is in the basis of the world now, and so is a change).
 */
const clusterBasisOf = (current: Environment, plan: Plan): Basis => {
  const create = plan.kind === 'create'
  const env = create ? current : worldBeforeRun(current, plan)
  const byId = new Map(env.instances.map((i) => [i.DBInstanceIdentifier, i]))
  return {
    instances: [],
    clusters: (create ? [plan.source] : [plan.source, plan.target]).flatMap((id) => {
      const c = (env.clusters ?? []).find((x) => x.DBClusterIdentifier === id)
      if (c === undefined) return []
      const members = [...(c.DBClusterMembers ?? [])]
        .sort((a, b) => a.DBInstanceIdentifier.localeCompare(b.DBInstanceIdentifier))
        .map((m): BasisMember => {
          const i = byId.get(m.DBInstanceIdentifier)
          return {
            id: m.DBInstanceIdentifier,
            writer: m.IsClusterWriter === true,
            settings: (i === undefined ? {} : memberSettings(i, m, tagsOf(env, i))) as Record<string, unknown>,
            ...(i?.DbiResourceId === undefined ? {} : { resource: i.DbiResourceId }),
          }
        })
      return [
        {
          id,
          settings: clusterSettings(c) as Record<string, unknown>,
          roles: clusterRoles(c).map(roleKey).sort(),
          members,
          ...(c.DbClusterResourceId === undefined ? {} : { resource: c.DbClusterResourceId }),
          ...(c.EngineVersion === undefined ? {} : { engineVersion: c.EngineVersion }),
        },
      ]
    }),
  }
}

/** The basis of `plan` in `current` (reconstructed to before the run when one is under way). */
export const basisOf = (current: Environment, plan: Plan): Basis => {
  if (plan.kind !== 'replica-tree') return clusterBasisOf(current, plan)
  const env = runInProgress(current, plan.source, plan.target)?.original ?? current
  const forest = replicaForest(env.instances)
  const ids = [plan.source, ...targetTreeIds(env, plan.target)]
  return {
    instances: ids.flatMap((id) => {
      const i = forest.byId.get(id)
      if (i === undefined) return []
      const parent = forest.parentOf(id)
      return [
        {
          id,
          settings: instanceSettings(i, tagsOf(env, i)) as Record<string, unknown>,
          ...(i.DbiResourceId === undefined ? {} : { resource: i.DbiResourceId }),
          ...(i.EngineVersion === undefined ? {} : { engineVersion: i.EngineVersion }),
          ...(parent === undefined ? {} : { parent }),
        },
      ]
    }),
  }
}

/** A resource's identity and engine version: each a line when it differs (what `label` says, what `field` RDS names it by). */
const identityChanges = (
  label: string,
  noun: string,
  field: string,
  before: { readonly resource?: string; readonly engineVersion?: string },
  after: { readonly resource?: string; readonly engineVersion?: string },
): { resource: string[]; engineVersion: string[] } => ({
  resource: before.resource !== after.resource ? [`${label} is a different ${noun} (${field} ${before.resource ?? '?'} → ${after.resource ?? '?'})`] : [],
  engineVersion: before.engineVersion !== after.engineVersion ? [`${label} engine version ${before.engineVersion ?? '?'} → ${after.engineVersion ?? '?'}`] : [],
})

/**
 * What changed between the world a plan was made from and the world now; empty when none. One walk over
 * the basis: the instances of a tree (identity, replica link, settings), then the clusters (identity,
 * settings, IAM roles, and their members: identity, writer, settings).
 */
export const staleness = (saved: Basis, now: Basis): ReadonlyArray<string> => {
  const out: string[] = []
  const nowById = new Map(now.instances.map((i) => [i.id, i]))
  const savedIds = new Set(saved.instances.map((i) => i.id))
  for (const before of saved.instances) {
    const after = nowById.get(before.id)
    if (after === undefined) {
      out.push(`${before.id} is gone`)
      continue
    }
    const id = identityChanges(before.id, 'instance', 'DbiResourceId', before, after)
    out.push(...id.resource)
    if (before.parent !== after.parent) out.push(`${before.id} now replicates from ${after.parent ?? 'nothing'} (was ${before.parent ?? 'nothing'})`)
    out.push(...id.engineVersion)
    const diffs = settingDifferences(before.settings, after.settings)
    if (diffs.length > 0) out.push(`${before.id}: ${diffs.join(', ')}`)
  }
  for (const after of now.instances) if (!savedIds.has(after.id)) out.push(`${after.id} joined the target tree`)
  const clustersNow = new Map((now.clusters ?? []).map((c) => [c.id, c]))
  for (const before of saved.clusters ?? []) {
    const after = clustersNow.get(before.id)
    if (after === undefined) {
      out.push(`cluster ${before.id} is gone`)
      continue
    }
    const id = identityChanges(`cluster ${before.id}`, 'cluster', 'DbClusterResourceId', before, after)
    out.push(...id.resource, ...id.engineVersion)
    const diffs = differences(CLUSTER_SETTING_KEYS, before.settings, after.settings)
    if (diffs.length > 0) out.push(`cluster ${before.id}: ${diffs.join(', ')}`)
    if (JSON.stringify(before.roles) !== JSON.stringify(after.roles)) out.push(`cluster ${before.id} IAM roles [${before.roles.join(', ')}] → [${after.roles.join(', ')}]`)
    const members = new Map(after.members.map((m) => [m.id, m]))
    for (const m of before.members) {
      const n = members.get(m.id)
      if (n === undefined) {
        out.push(`${m.id} is no longer an instance of ${before.id}`)
        continue
      }
      out.push(...identityChanges(m.id, 'instance', 'DbiResourceId', m, n).resource)
      if (m.writer !== n.writer) out.push(`${m.id} is now ${n.writer ? 'the writer' : 'a reader'} of ${before.id}`)
      const d = differences(MEMBER_SETTING_KEYS, m.settings, n.settings)
      if (d.length > 0) out.push(`${m.id}: ${d.join(', ')}`)
    }
    const known = new Set(before.members.map((m) => m.id))
    for (const n of after.members) if (!known.has(n.id)) out.push(`${n.id} joined the cluster ${before.id}`)
  }
  for (const after of now.clusters ?? []) if (!(saved.clusters ?? []).some((c) => c.id === after.id)) out.push(`cluster ${after.id} now exists`)
  return out
}
