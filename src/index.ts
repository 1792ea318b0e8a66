/**
 * mitosis as a library: describe → domain → plan (pure) → interpreter → port.
 *
 *   import { planClone, loadFixture, renderText } from 'mitosis'
 */
export { DBInstance, DBSnapshot, EnvironmentFile, Tag, decode, drawErrors, environmentFromFile, type Environment } from './plan/domain.js'
export { breadthFirst, leavesFirst, replicaForest, replicaTree, type ReplicaForest, type ReplicaTree, type TreeNode } from './plan/forest.js'
export { identifierProblem, oldName, stripTemp, tempName, MAX_IDENTIFIER_LENGTH } from './plan/identifiers.js'
export { instanceSettings, accepts, splitSettings } from './plan/attributes.js'
export { Plan, PlanKind, Phase, Step, PLAN_VERSION, basisOf, staleness, Basis, PlanFile } from './plan/plan.js'
export {
  Operation,
  MASTER_PASSWORD_SECRET,
  SecretRef,
  passwordFields,
  setsPassword,
  passwordSet,
  passwordConflict,
  renamesAfterPassword,
  type NewPassword,
  resourceOf,
  renamedTo,
  readsFrom,
  resourcesChanged,
  resourcesUsed,
  resourceKey,
  type Resource,
  type ResourceKind,
  renameTarget,
  type OperationName,
  type Settings,
} from './plan/operations.js'
export { planClone, latestAvailableSnapshot, needsSnapshotPath, maxReplicaDepth, type CloneRequest, type SnapshotReason } from './plan/planner.js'
export { checkPlan } from './plan/predict/end-state.js'
export { checkReplicaTreePlan, predict, initialState, settingDifferences, type PredictedInstance, type PredictedState, type Prediction } from './plan/predict.js'
export { renderProblem, renderProblems, refusesProduction, type PlanProblem } from './plan/errors.js'
export { productionTag, productionTree, productionCluster, productionPlanTarget, PRODUCTION_TAG_KEYS, PRODUCTION_TAG_VALUES, type ProductionTarget } from './plan/production.js'
export { deletions, renderDeletions, renderJson, renderText, stepParameters, type Deletion } from './plan/render/text.js'
export { renderMermaid } from './plan/render/mermaid.js'
export { iamPolicy, type IamPolicy, type PolicyStatement } from './plan/iam.js'
export { renderRdsError, type RdsError, type RdsPort } from './interpret/port.js'
export { observeEnvironment } from './interpret/observe.js'
export { planFromWorld, planOn, refusedAsProduction, renderPlanFailure, type PlanFailure, type PlannedClone, type WorldCloneRequest } from './interpret/plan.js'
export { connectRds, type AwsOptions, type ConnectedRds } from './aws/client.js'
export { awsRdsPort } from './aws/rds.js'
export { loadFixture, simRdsPort, type SimulatedCall, type SimulatedRds } from './sim/world.js'
export { planIds } from './interpret/readiness.js'
export { missingSecret, resolveSecrets, secretsNamed } from './interpret/secrets.js'
export { applyPlan, renderApplyFailure, type ApplyCapabilities, type ApplyEvent, type ApplyFailure, type ApplyOptions, type ApplySummary } from './interpret/apply.js'
export { systemClock, type Clock } from './interpret/port.js'
export { processShell, type HookResult, type Shell } from './interpret/shell.js'
export { expectedMs, estimateRemainingMs } from './interpret/estimates.js'
export { planProgress, FAILED_STATUSES, isFailedStatus, type StepProgress } from './plan/progress.js'
export { runIdFor, runInProgress, beforeRun, footprint, TAG_RUN, TAG_COPY_OF, TAG_RENAMED_FROM, TAG_RESTARTED, TAG_SOURCE } from './plan/runs.js'
export {
  simulate,
  AWS_DURATIONS,
  type Durations,
  type InjectedFailure,
  type MasterCredentials,
  type SimClusterSnapshot,
  type SimOptions,
  type Simulator,
} from './sim/simulator.js'
export { TYPICAL_DURATIONS, stepDuration, type TypicalDurations } from './plan/durations.js'
export { assumeRoleWithMfa, loadRoleFile, mfaCodeSource, profileCredentials, type ExpiringCredentials, type RoleFile } from './aws/credentials.js'
export { DBCluster, DBSubnetGroup, Quotas, TaggedDBSubnetGroup } from './plan/domain.js'
export {
  planClusterClone,
  cloneKind,
  clusterRunIdFor,
  membersOf,
  renderClusterProblem,
  renderClusterProblems,
  DEFAULT_QUOTAS,
  type ClusterCloneRequest,
  type ClusterPlanProblem,
  type ClusterProblem,
} from './plan/cluster.js'
export { checkClusterPlan, predictCluster, initialClusterState, type ClusterState, type ClusterPrediction } from './plan/cluster-predict.js'
export { clusterRunInProgress, beforeClusterRun, clusterFootprint } from './plan/cluster-runs.js'
export {
  planCreate,
  checkCreatePlan,
  renderCreateProblem,
  renderCreateProblems,
  createRunIdFor,
  type CreateRequest,
  type CreateProblem,
  type CreatePlanProblem,
} from './plan/create.js'
export { passwordProblem, passwordEngine } from './plan/passwords.js'
