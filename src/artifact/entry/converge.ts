/**
 * `converge`: the image's plan applied to the world, if the world is still the one it was made on (exit 3 when
 * not, unless --replan), with the password from a file, stdin or MITOSIS_DB_PASSWORD and credentials from the
 * standard chain only; the result as one line for Kubernetes' termination log.
 */
import { accessSync, constants, existsSync, writeFileSync } from 'node:fs'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { connectRds } from '../../aws/client.js'
import { refreshBeforeStep } from '../../aws/credentials/expiring.js'
import { awsRdsPort } from '../../aws/rds.js'
import { APPLY_DEFAULTS, applyFlow, sayNotes, type FlowIo } from '../../cli/apply-flow.js'
import { UserError } from '../../cli/errors.js'
import { awsCredentials } from '../../cli/wiring.js'
import { positiveNumber } from '../../cli/numbers.js'
import { readPasswordSecrets, type PasswordFlags } from '../../cli/password-source.js'
import type { LiveOutput } from '../../cli/progress.js'
import { renderRdsError, systemClock, type Capabilities, type RdsPort } from '../../interpret/capabilities.js'
import type { LeaseOptions } from '../../interpret/lease.js'
import { missingSecret } from '../../interpret/secrets.js'
import { processShell } from '../../interpret/shell.js'
import { checkSaved, plan as planWorld, refusedAsProduction, renderPlanFailure, renderSavedFailure, type Planned, type WorldCloneRequest } from '../../interpret/workflow.js'
import { passwordSet } from '../../plan/operations.js'
import type { Plan } from '../../plan/plan.js'
import { passwordEngine } from '../../plan/passwords.js'
import { isDone, planProgress } from '../../plan/progress.js'
import { readArtifactConfig, renderConfigProblems } from '../config.js'
import { ARTIFACT_PATHS, type ConvergeMode } from '../contents.js'
import { ec2SubnetZones } from '../ec2-zones.js'
import { planClone, planCreate } from '../plans.js'
import { resolveTarget, type SubnetZones } from '../resolve.js'
import { bool, str, type Values } from './args.js'
import { EXIT, inRoot, modeOf, planFileOfMode, refuse, type Artifact } from './files.js'

/** The world a converge acts on: the capabilities, and where an explicit subnet list's zones come from (a re-plan from the config). */
export interface World {
  readonly capabilities: Capabilities
  readonly zonesFor: (rds: RdsPort, sourceGroup: string | undefined) => SubnetZones
  /** What connecting had to assume, said as `Note: ` lines. */
  readonly notes?: ReadonlyArray<string>
}

export interface EntryDeps {
  /** Where the artifact's files are: /mitosis in the image (MITOSIS_ARTIFACT_ROOT, for tests only, moves it). */
  readonly root: string
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  /** stdout when it is a terminal (the live progress block); undefined: a line per event. */
  readonly terminal: LiveOutput | undefined
  readonly env: NodeJS.ProcessEnv
  readonly readStdin: () => Promise<string>
  readonly stdinIsTTY: boolean
  /** The world: AWS through the standard chain; `planRegion` is used only when the chain names no region. */
  readonly connect: (planRegion: string, env: NodeJS.ProcessEnv) => Promise<World>
  /** Where converge writes its one-line result when the file is writable (Kubernetes' terminationMessagePath). */
  readonly terminationLog: string
  /** The lease a converge takes on its target (default: this process's). */
  readonly lease?: LeaseOptions | undefined
}

/**
 * AWS through the standard chain (environment, a mounted ~/.aws through AWS_CONFIG_FILE /
 * AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE, web identity / IRSA, the ECS task role, the instance
 * role), as the SDK resolves it; a profile that assumes a role with MFA as the CLI reads it (the code from
 * MITOSIS_MFA_CODE, else asked on the container's terminal: `mitosis artifact converge` gives it one).
 */
export const awsWorld = async (planRegion: string, env: NodeJS.ProcessEnv): Promise<World> => {
  const profile = env['AWS_PROFILE']
  const clock = systemClock
  const { credentials } = await awsCredentials({ profile }, clock)
  const provider = credentials?.provider
  let connected = await connectRds({ profile, credentials: provider })()
  const notes: string[] = []
  // the image knows where its plan was made: with no region configured at all, that is the one to use
  if (E.isLeft(connected) && connected.left._tag === 'Configuration') {
    connected = await connectRds({ profile, region: planRegion, credentials: provider })()
    notes.push(`no AWS region in the environment (AWS_REGION, the profile): using the plan's, ${planRegion}`)
  }
  if (E.isLeft(connected)) throw new UserError(renderRdsError(connected.left), EXIT.failed)
  const capabilities: Capabilities = { rds: awsRdsPort(connected.right), clock, shell: processShell, random: Math.random }
  return {
    capabilities: credentials === undefined ? capabilities : { ...capabilities, beforeStep: refreshBeforeStep(credentials, clock.now) },
    zonesFor: (rds) => ec2SubnetZones({ region: rds.region, profile, credentials: provider }),
    notes,
  }
}

// ---- converge ------------------------------------------------------------------------------------

/** Where the credentials come from, as far as the environment tells (never a secret): said before the world is read. */
const credentialSource = (env: NodeJS.ProcessEnv): string => {
  if (env['AWS_ACCESS_KEY_ID'] !== undefined) return 'the environment (AWS_ACCESS_KEY_ID)'
  if (env['AWS_WEB_IDENTITY_TOKEN_FILE'] !== undefined) return `web identity${env['AWS_ROLE_ARN'] === undefined ? '' : ` as ${env['AWS_ROLE_ARN']}`} (IRSA)`
  if (env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] !== undefined || env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] !== undefined) return 'the container role (ECS)'
  const files = [env['AWS_CONFIG_FILE'], env['AWS_SHARED_CREDENTIALS_FILE']].filter((f): f is string => f !== undefined)
  const profile = env['AWS_PROFILE']
  if (profile !== undefined || files.length > 0) return `profile ${profile ?? 'default'}${files.length > 0 ? ` (${files.join(', ')})` : ''}`
  return 'the standard chain (~/.aws, or the instance role)'
}

/** The request a saved clone plan was made from, as far as its steps tell: to plan it again on the world as it is. */
const cloneRequestOf = (plan: Plan): WorldCloneRequest => {
  const restart = plan.steps.flatMap((s) => (s.op === 'RunCommand' ? [s.request.Command] : []))[0]
  const password = plan.steps.map(passwordSet).find((p) => p !== undefined)
  const finalSnapshot = plan.steps.some((s) => s.op === 'DeleteDBCluster' && s.request.FinalDBSnapshotIdentifier !== undefined)
  return {
    source: plan.source,
    target: plan.target,
    ...(restart === undefined ? {} : { restart }),
    ...(plan.steps.some((s) => s.op === 'RestoreDBInstanceFromDBSnapshot') ? { restoreSnapshot: true } : {}),
    ...(password === undefined ? {} : { password }),
    ...(finalSnapshot ? { finalSnapshot: true } : {}),
  }
}

/**
 * The same request planned again on the world as it is now: from the config the image was built from,
 * with the functions the build used, or for an image built from a saved clone plan, the clone its steps
 * describe. A refusal is exit 2: the image no longer fits the world, and retrying will not change that.
 */
const replan = async (artifact: Artifact, mode: ConvergeMode, world: World): Promise<Planned> => {
  const caps = world.capabilities
  const configPath = inRoot(artifact.root, ARTIFACT_PATHS.config)
  if (existsSync(configPath)) {
    const config = readArtifactConfig(configPath)
    if (E.isLeft(config)) return refuse(renderConfigProblems(config.left))
    const c = config.right
    const planned = await pipe(
      resolveTarget(caps.rds, c, world.zonesFor),
      TE.chain((resolved) => {
        if (mode === 'clone') return planClone(caps, c, resolved)
        const changelog = c.source.changelog ?? artifact.manifest.changelog
        return changelog === undefined ? TE.left(`${c.file}: [source_db] liquibase_changelog_path: none given, so there is no create plan to make`) : planCreate(caps, c, resolved, changelog)
      }),
    )()
    if (E.isLeft(planned)) return refuse(`--replan: ${planned.left}`)
    return planned.right
  }
  const { plan } = planFileOfMode(artifact, mode)
  if (plan.kind === 'create') return refuse('--replan: this image was built from a saved create plan (it has no artifact.ini to plan from again); build a new image')
  const planned = await planWorld(caps, { clone: cloneRequestOf(plan) })()
  if (E.isLeft(planned)) throw new UserError(`--replan: ${renderPlanFailure(planned.left)}`, planned.left._tag === 'Rds' && !refusedAsProduction(planned.left) ? EXIT.failed : EXIT.refused)
  return planned.right
}

/** A duration option in seconds (decimals allowed), or its default; a bad value is refused (exit 2) before the world is read. */
const secondsOption = (values: Values, key: string, byDefault: number): number => {
  const text = str(values, key)
  return text === undefined ? byDefault : positiveNumber(`--${key}`, text)
}

/** The first line of a failure, for the termination log, by its exit code. */
export const resultWord = (code: number): string => (code === EXIT.refused ? 'refused' : code === EXIT.stale ? 'stale' : code >= 128 ? 'interrupted' : 'failed')

export const converge = async (artifact: Artifact, values: Values, deps: EntryDeps, result: { line?: string }): Promise<number> => {
  const err = deps.stderr
  const mode = modeOf(artifact, str(values, 'mode'))
  const json = bool(values, 'json')
  const replanning = bool(values, 'replan')
  const pollIntervalMs = secondsOption(values, 'poll-interval', APPLY_DEFAULTS.pollIntervalSeconds) * 1000
  const stepTimeoutMs = secondsOption(values, 'step-timeout', APPLY_DEFAULTS.stepTimeoutMinutes * 60) * 1000
  const passwordFlags: PasswordFlags = {
    'db-password-file': str(values, 'db-password-file'),
    'db-password-stdin': bool(values, 'db-password-stdin'),
  }
  if (passwordFlags['db-password-file'] !== undefined && passwordFlags['db-password-stdin'] === true) refuse('converge: --db-password-file and --db-password-stdin: give one of them')
  const saved = planFileOfMode(artifact, mode)
  const { manifest } = artifact
  err(
    `mitosis ${manifest.mitosis}: converge --mode ${mode}: ${saved.plan.source} → ${saved.plan.target} in ${saved.plan.region}, ${saved.plan.steps.length} steps (plan ${manifest.planDigest.slice(0, 19)}…)\n` +
      `credentials: ${credentialSource(deps.env)}; region: ${deps.env['AWS_REGION'] ?? '(from the profile)'}${deps.env['AWS_ENDPOINT_URL_RDS'] ?? deps.env['AWS_ENDPOINT_URL'] ? `; endpoint ${deps.env['AWS_ENDPOINT_URL_RDS'] ?? deps.env['AWS_ENDPOINT_URL']}` : ''}\n`,
  )
  const world = await deps.connect(saved.plan.region, deps.env)
  for (const note of world.notes ?? []) err(`Note: ${note}\n`)
  const caps = world.capabilities
  if (caps.rds.region !== saved.plan.region) {
    refuse(`the plan was made in ${saved.plan.region}, but the AWS configuration (AWS_REGION, the profile) says ${caps.rds.region}; run with AWS_REGION=${saved.plan.region}`)
  }
  const checked = await checkSaved(caps, artifact.json[mode])()
  let planned: Planned
  if (E.isRight(checked)) planned = checked.right
  else {
    const f = checked.left
    if ('environment' in f && f.environment !== undefined) sayNotes(f.environment, err)
    switch (f._tag) {
      case 'Stale':
        // the image's own run, done: the world differs from the plan's basis because the plan made it so;
        // --replan (a scheduled refresh) plans the next refresh instead
        if (planProgress(f.environment, saved.plan).every(isDone) && !replanning) {
          planned = { plan: saved.plan, environment: f.environment }
          break
        }
        if (!replanning) {
          throw new UserError(`the plan is stale: the world changed since the image was built: ${f.changes.join('; ')}; build a new image, or converge --replan to plan again now`, EXIT.stale)
        }
        err(`the world changed since the image was built: ${f.changes.join('; ')}\n`)
        planned = await replan(artifact, mode, world)
        err(`--replan: planned again on the world as it is now: ${planned.plan.steps.length} steps (the image's plan had ${saved.plan.steps.length}); applying the new plan\n`)
        break
      case 'Rds':
        throw new UserError(renderRdsError(f.error), EXIT.failed)
      case 'Production':
        // the CLI's line names --allow-production-target, which the image does not offer: a production target is never converged
        return refuse(`the image's ${mode} plan would replace and delete ${f.target.target}, and ${f.target.tagged} is tagged ${f.target.key}=${f.target.value} now; refusing to replace a production database`)
      default:
        // not a plan, made in another region, a plan that fails its safety check: refused
        return refuse(renderSavedFailure(f, `the image's ${mode} plan`))
    }
  }
  const { plan, environment } = planned
  if (E.isRight(checked)) sayNotes(environment, err)
  const progress = planProgress(environment, plan)
  const allDone = progress.every(isDone)
  // the password: read now (not at all when the run is done), checked against RDS's rules, handed to the interpreter alone; a refusal is exit 2
  let secrets: Record<string, string> | undefined
  if (!allDone) try {
    const fromEnv = deps.env['MITOSIS_DB_PASSWORD']
    secrets = await readPasswordSecrets(passwordFlags, passwordEngine(environment, plan), {
      readStdin: deps.readStdin,
      stdinIsTTY: deps.stdinIsTTY,
      ...(fromEnv === undefined || fromEnv === '' ? {} : { fromEnv: { name: 'MITOSIS_DB_PASSWORD', value: fromEnv } }),
    })
  } catch (e) {
    if (e instanceof UserError) throw new UserError(e.message, EXIT.refused)
    throw e
  }
  const missing = allDone ? undefined : missingSecret(plan, progress, secrets)
  if (missing !== undefined) {
    refuse(`step ${missing.n} sets a new master password, and none was given: set MITOSIS_DB_PASSWORD (a Kubernetes Secret), or pass --db-password-file FILE or --db-password-stdin`)
  }
  const io: FlowIo = { out: deps.stdout, err, terminal: json ? undefined : deps.terminal }
  const outcome = await applyFlow(
    plan,
    environment,
    caps,
    // converge never asks: it is a job (--yes is accepted, as the seed's scripts pass it, and changes nothing)
    {
      yes: true,
      json,
      'poll-interval': pollIntervalMs,
      'step-timeout': stepTimeoutMs,
      'hook-timeout': APPLY_DEFAULTS.hookTimeoutMinutes * 60_000,
    },
    {
      ...(secrets === undefined ? {} : { secrets }),
      ...(deps.lease === undefined ? {} : { lease: deps.lease }),
      ...(mode === 'create' ? { liquibase: { liquibaseHome: inRoot(artifact.root, ARTIFACT_PATHS.liquibase) } } : {}),
    },
    io,
  )
  result.line = outcome.line
  return EXIT.done
}

/** One line for Kubernetes (terminationMessagePath), when the file is there to be written; never a reason to fail. */
export const writeTerminationLog = (path: string, line: string): void => {
  try {
    if (!existsSync(path)) return
    accessSync(path, constants.W_OK)
    // Kubernetes keeps 4096 bytes of it; one line
    writeFileSync(path, `${line.replace(/\s*\n\s*/g, ' ').slice(0, 4000)}\n`)
  } catch {
    // not writable (not in Kubernetes, or another user's): nothing to say
  }
}

