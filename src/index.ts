/**
 * mitosis as a library: the verbs a script calls, the renderers, the two ports and the types they speak.
 *
 *   import { apply, checkSaved, loadFixture, plan, planFileOf, renderText, simulate } from 'mitosis'
 *
 * `plan(capabilities, { clone: { source, target } })` (a replica tree or an Aurora cluster, as the world
 * says) or `plan(capabilities, { create: { like, target, … } })` reads the world and plans; `planFileOf`
 * is what `--plan --out` saves; `checkSaved(capabilities, json)` checks a saved plan against the world
 * now (stale? still safe? production?); `apply(plan, capabilities, options, onEvent)` runs it.
 * Capabilities: `{ rds, clock, shell, random }`: `rds` is `awsRdsPort(await connectRds(…))` or
 * `simulate(environment)` (the simulator, which carries its own virtual `clock`).
 * `plan(capabilities, { cloneInto: { source, target, subnets, … } })` is the database artifact's clone: into a
 * new cluster while the target does not exist, the swap clone once it does. The artifact itself:
 * `readArtifactConfig(path)` (the INI), `buildArtifact(options)` (the image, written without a daemon),
 * `kubernetesManifest(options)` (the Job or CronJob that runs it).
 */
export { apply, checkSaved, plan, planFileOf, renderPlanFailure, renderSavedFailure, type PlanFailure, type PlanRequest, type SavedFailure } from './interpret/workflow.js'
export { renderApplyFailure, type ApplyEvent, type ApplyOptions } from './interpret/apply.js'
export { renderJson, renderText } from './plan/render/text.js'
export { renderMermaid } from './plan/render/mermaid.js'
export { renderProblem } from './plan/problems.js'
export { iamPolicy } from './plan/iam.js'
export { Operation } from './plan/operations.js'
export { Plan, PlanFile, Step, type PlanKind } from './plan/plan.js'
export type { Environment } from './plan/domain.js'
export { systemClock, type Capabilities, type Clock, type RdsPort, type Shell } from './interpret/capabilities.js'
export { processShell } from './interpret/shell.js'
export { connectRds } from './aws/client.js'
export { awsRdsPort } from './aws/rds.js'
export { simulate } from './sim/simulator.js'
export { loadFixture } from './sim/fixture.js'
export type { NewClusterRequest } from './plan/clone/new-cluster.js'
export { readArtifactConfig, renderConfigProblems, type ArtifactConfig } from './artifact/config.js'
export { buildArtifact, type BuildOptions, type BuiltArtifact } from './artifact/build.js'
export { kubernetesManifest, type KubernetesOptions } from './artifact/entry/kubernetes.js'
