/**
 * The plans an artifact is built with: the clone (always) and the create (when a changelog is given),
 * each saved with the basis it was made from, and their renders for `docker run IMAGE plan`.
 */
import { basename } from 'node:path'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { ArtifactConfig } from './config.js'
import { ARTIFACT_PATHS, ARTIFACT_VERSION, plansDocument, type ArtifactManifest, type ArtifactPlans, type ConvergeMode } from './contents.js'
import type { ResolvedTarget } from './resolve.js'
import { plan, planFileOf, renderPlanFailure, type Planned, type ReadCapabilities } from '../interpret/workflow.js'
import { renderMermaid } from '../plan/render/mermaid.js'
import { renderText } from '../plan/render/text.js'
import type { NewClusterRequest } from '../plan/clone/new-cluster.js'

const opt = <K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [k in K]: V }))

export const newClusterRequestOf = (config: ArtifactConfig, resolved: ResolvedTarget): NewClusterRequest => ({
  source: config.source.cluster,
  target: config.target.cluster,
  subnets: resolved.subnets,
  ...(resolved.securityGroups.length === 0 ? {} : { securityGroups: resolved.securityGroups }),
  instanceClass: config.target.instanceClass,
  instanceCount: config.target.instanceCount,
  ...opt('engineVersion', config.target.engineVersion),
  ...opt('backupRetentionDays', config.target.backupRetentionDays),
  ...opt('backupWindow', config.target.backupWindow),
  ...opt('maintenanceWindow', config.target.maintenanceWindow),
  deletionProtection: config.target.deletionProtection,
  tags: config.target.tags.map((t) => ({ Key: t.Key, Value: t.Value })),
  ...opt('serverless', config.target.serverless === undefined ? undefined : { min: config.target.serverless.min, max: config.target.serverless.max }),
  password: 'secret',
})

/**
 * The clone plan: a swap clone into target_db_cluster_id when it exists, else a copy-on-write clone into it
 * as a new cluster with the configured settings (the plan verb's cloneInto decides, on the world it reads).
 */
export const planClone = (caps: ReadCapabilities, config: ArtifactConfig, resolved: ResolvedTarget): TE.TaskEither<string, Planned> =>
  pipe(plan(caps, { cloneInto: newClusterRequestOf(config, resolved) }), TE.mapLeft(renderPlanFailure))

/** Where the create plan's changelog is inside the image. */
export const changelogInImage = (changelog: string): string => `${ARTIFACT_PATHS.changelogDir}/${basename(changelog)}`

/** The create plan: a new, empty cluster like the source under the configured target (a converge runs one mode). */
export const planCreate = (caps: ReadCapabilities, config: ArtifactConfig, resolved: ResolvedTarget, changelog: string): TE.TaskEither<string, Planned> =>
  pipe(
    plan(caps, {
      create: {
        like: config.source.cluster,
        target: config.target.cluster,
        subnets: 'group' in resolved.subnets ? 'source' : resolved.subnets.ids,
        instanceClass: config.target.instanceClass,
        instances: config.target.instanceCount,
        ...opt('databaseName', config.target.databaseName),
        password: 'secret',
        changelog: changelogInImage(changelog),
        ...opt('engineVersion', config.target.engineVersion),
      },
    }),
    TE.mapLeft(renderPlanFailure),
  )

export type PlannedModes = Partial<Record<ConvergeMode, Planned>>

/** The files made from the plans: plans.json (its digest), plans.txt, plans.mmd. */
export const planFiles = (planned: PlannedModes): { plans: ArtifactPlans; json: string; digest: string; text: string; mermaid: string; modes: ConvergeMode[] } => {
  const modes = (['clone', 'create'] as const).filter((m) => planned[m] !== undefined)
  const plans: ArtifactPlans = Object.fromEntries(modes.map((m) => [m, planFileOf(planned[m]!)]))
  const doc = plansDocument(plans)
  const text = modes.map((m) => `# mode ${m}: ${planned[m]!.plan.source} → ${planned[m]!.plan.target}\n${renderText(planned[m]!.plan)}`).join('\n')
  const mermaid = modes.map((m) => `%% mode ${m}\n${renderMermaid(planned[m]!.environment, planned[m]!.plan)}`).join('\n')
  return { plans, json: doc.bytes, digest: doc.digest, text, mermaid, modes }
}

/** What the image says of itself (/mitosis/artifact.json): the plans' digest, what they act on, and which mitosis made them. */
export const manifestOf = (
  planned: PlannedModes,
  files: Pick<ReturnType<typeof planFiles>, 'digest' | 'modes'>,
  made: { readonly mitosis: string; readonly revision?: string | undefined; readonly changelog?: string | undefined },
): ArtifactManifest => {
  const first = (planned.clone ?? planned.create)!.plan
  return {
    kind: 'mitosis-artifact',
    version: ARTIFACT_VERSION,
    planDigest: files.digest,
    source: first.source,
    target: first.target,
    region: first.region,
    modes: files.modes,
    mitosis: made.mitosis,
    ...(made.revision === undefined ? {} : { revision: made.revision }),
    ...(planned.create !== undefined && made.changelog !== undefined ? { changelog: basename(made.changelog) } : {}),
  }
}
