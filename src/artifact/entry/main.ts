/**
 * The program inside a database artifact image (`docker run IMAGE <command>`), bundled by the build
 * into /mitosis/mitosis.mjs: it prints the plans the image carries (`plan`), the IAM policy they need
 * (`iam-policy`), converges the world to one of them (`converge`), and prints a Kubernetes Job or
 * CronJob that runs the image (`manifest kubernetes`).
 *
 * It is a job, not a conversation: converge never asks, reads the password from a file, stdin or
 * MITOSIS_DB_PASSWORD, takes credentials from the standard chain only, and says how it ended in its
 * exit code (the image's contract, doc/artifact-design.md "Exit codes"), on stderr, and in one line in
 * /dev/termination-log for Kubernetes. No oclif here (node:util parseArgs): the bundle stays small and
 * starts fast; the apply itself is the CLI's (src/cli/apply-flow.ts), so both show and stop alike.
 */
import { accessSync, constants, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import * as E from 'fp-ts/lib/Either.js'
import * as TE from 'fp-ts/lib/TaskEither.js'
import { pipe } from 'fp-ts/lib/function.js'
import { connectRds } from '../../aws/client.js'
import { awsRdsPort } from '../../aws/rds.js'
import { applyFlow, sayNotes, type FlowIo } from '../../cli/apply-flow.js'
import { describeFailure, UserError } from '../../cli/errors.js'
import { readPasswordSecrets, type PasswordFlags } from '../../cli/password-source.js'
import type { LiveOutput } from '../../cli/progress.js'
import { renderRdsError, systemClock, type Capabilities, type RdsPort } from '../../interpret/capabilities.js'
import type { LeaseOptions } from '../../interpret/lease.js'
import { missingSecret } from '../../interpret/secrets.js'
import { processShell } from '../../interpret/shell.js'
import { checkSaved, plan as planWorld, refusedAsProduction, renderPlanFailure, renderSavedFailure, secretsOf, type Planned, type WorldCloneRequest } from '../../interpret/workflow.js'
import { decode, type DBInstance, type Environment } from '../../plan/domain.js'
import { iamPolicy } from '../../plan/iam.js'
import { passwordSet } from '../../plan/operations.js'
import type { Plan, PlanFile } from '../../plan/plan.js'
import { passwordEngine } from '../../plan/passwords.js'
import { isDone, planProgress } from '../../plan/progress.js'
import { readArtifactConfig, renderConfigProblems, DEFAULT_ARTIFACT_TAG } from '../config.js'
import { ARTIFACT_DIR, ARTIFACT_PATHS, ArtifactManifest, ArtifactPlans, ConvergeMode, sha256 } from '../contents.js'
import { ec2SubnetZones } from '../ec2-zones.js'
import { planClone, planCreate } from '../plans.js'
import { resolveTarget, type SubnetZones } from '../resolve.js'
import { kubernetesManifest, validSchedule } from './kubernetes.js'

/** The image's exit codes (doc/artifact-design.md): what a job runner decides on. */
export const EXIT = { done: 0, failed: 1, refused: 2, stale: 3 } as const

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
 * AWS through the standard chain only (environment, a mounted ~/.aws through AWS_CONFIG_FILE /
 * AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE, web identity / IRSA, the ECS task role, the instance
 * role), as the SDK resolves it. No prompt: an image has no one to ask for an MFA code.
 */
export const awsWorld = async (planRegion: string, env: NodeJS.ProcessEnv): Promise<World> => {
  let connected = await connectRds({})()
  const notes: string[] = []
  // the image knows where its plan was made: with no region configured at all, that is the one to use
  if (E.isLeft(connected) && connected.left._tag === 'Configuration') {
    connected = await connectRds({ region: planRegion })()
    notes.push(`no AWS region in the environment (AWS_REGION, the profile): using the plan's, ${planRegion}`)
  }
  if (E.isLeft(connected)) throw new UserError(renderRdsError(connected.left), EXIT.failed)
  const profile = env['AWS_PROFILE']
  return {
    capabilities: { rds: awsRdsPort(connected.right), clock: systemClock, shell: processShell, random: Math.random },
    zonesFor: (rds) => ec2SubnetZones({ region: rds.region, profile }),
    notes,
  }
}

const defaultDeps = (env: NodeJS.ProcessEnv): EntryDeps => ({
  root: env['MITOSIS_ARTIFACT_ROOT'] ?? ARTIFACT_DIR,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  terminal: process.stdout.isTTY ? process.stdout : undefined,
  env,
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer))
    return Buffer.concat(chunks).toString('utf8')
  },
  stdinIsTTY: process.stdin.isTTY === true,
  connect: awsWorld,
  terminationLog: '/dev/termination-log',
})

// ---- the artifact's files ------------------------------------------------------------------------

interface Artifact {
  readonly manifest: ArtifactManifest
  readonly plans: ArtifactPlans
  /** The parsed plans.json: each mode's saved plan as checkSaved reads it. */
  readonly json: Readonly<Record<string, unknown>>
  readonly root: string
}

const refuse = (message: string): never => {
  throw new UserError(message, EXIT.refused)
}

/** An artifact file's path under `root` (the image's /mitosis, or a test's directory). */
const inRoot = (root: string, path: string): string => join(root, relative(ARTIFACT_DIR, path))

const readText = (root: string, path: string): string => {
  const file = inRoot(root, path)
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    return refuse(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)}); this program runs inside a mitosis artifact image`)
  }
}

const parseJson = (file: string, text: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    return refuse(`${file}: not JSON: ${(e as Error).message}`)
  }
}

/**
 * The manifest and the plans, the plans checked against the manifest's digest: a plans.json changed
 * after the build is refused before anything reads the world.
 */
const loadArtifact = (root: string): Artifact => {
  const manifestFile = inRoot(root, ARTIFACT_PATHS.manifest)
  const manifest = decode(ArtifactManifest)(parseJson(manifestFile, readText(root, ARTIFACT_PATHS.manifest)))
  if (E.isLeft(manifest)) return refuse(`${manifestFile}: not a mitosis artifact manifest: ${manifest.left}`)
  const plansFile = inRoot(root, ARTIFACT_PATHS.plans)
  const bytes = readText(root, ARTIFACT_PATHS.plans)
  const digest = sha256(bytes)
  if (digest !== manifest.right.planDigest) {
    refuse(`${plansFile} is not the plan this image was built with: its digest is ${digest}, the manifest (and the label io.mitosis.plan.digest) says ${manifest.right.planDigest}`)
  }
  const json = parseJson(plansFile, bytes)
  const plans = decode(ArtifactPlans)(json)
  if (E.isLeft(plans)) return refuse(`${plansFile}: not the plans of a mitosis artifact: ${plans.left}`)
  const missing = manifest.right.modes.filter((m) => plans.right[m] === undefined)
  if (missing.length > 0) refuse(`${plansFile} has no ${missing.join(', ')} plan, which the manifest lists`)
  return { manifest: manifest.right, plans: plans.right, json: json as Record<string, unknown>, root }
}

/** The mode a command works on: --mode, or the only one the image has. */
const modeOf = (artifact: Artifact, given: string | undefined): ConvergeMode => {
  const modes = artifact.manifest.modes
  if (given === undefined) {
    if (modes.length === 1) return modes[0]!
    return refuse(`this image carries plans for ${modes.join(' and ')}: give --mode ${modes.join(' or --mode ')}`)
  }
  if (!ConvergeMode.is(given)) return refuse(`--mode: ${JSON.stringify(given)} is not clone or create`)
  if (!modes.includes(given)) return refuse(`--mode ${given}: this image has no ${given} plan (it has: ${modes.join(', ')})`)
  return given
}

const planFileOfMode = (artifact: Artifact, mode: ConvergeMode): PlanFile => artifact.plans[mode]!

// ---- arguments -----------------------------------------------------------------------------------

type Options = NonNullable<ParseArgsConfig['options']>

const COMMON: Options = { debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }

const COMMANDS: Readonly<Record<string, { readonly options: Options; readonly positionals: number }>> = {
  plan: { options: { json: { type: 'boolean' }, format: { type: 'string' }, mode: { type: 'string' } }, positionals: 0 },
  'iam-policy': { options: { mode: { type: 'string' } }, positionals: 0 },
  converge: {
    options: {
      mode: { type: 'string' },
      replan: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      json: { type: 'boolean' },
      'db-password-file': { type: 'string' },
      'db-password-stdin': { type: 'boolean' },
    },
    positionals: 0,
  },
  manifest: {
    options: {
      schedule: { type: 'string' },
      image: { type: 'string' },
      namespace: { type: 'string' },
      'service-account': { type: 'string' },
      secret: { type: 'string' },
      mode: { type: 'string' },
    },
    positionals: 1,
  },
}

type Values = Readonly<Record<string, string | boolean | undefined>>

/** parseArgs' complaint, in one line that names the command. */
const argumentProblem = (command: string, e: unknown): string => {
  const err = e as { code?: string; message?: string }
  const message = String(err.message ?? e)
  const option = /'(-[^' ]+)/.exec(message)?.[1]
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${command}: unknown option ${option ?? message} (see --help)`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `${command}: ${option ?? 'an option'} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'} (see --help)`
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `${command}: unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''} (see --help)`.replace(/ {2}/, ' ')
    default:
      return `${command}: ${message.split('\n')[0]}`
  }
}

const parseCommand = (command: string, args: ReadonlyArray<string>): { readonly values: Values; readonly positionals: ReadonlyArray<string> } => {
  const spec = COMMANDS[command]!
  try {
    const { values, positionals } = parseArgs({ args: [...args], options: { ...COMMON, ...spec.options }, strict: true, allowPositionals: spec.positionals > 0 })
    if (positionals.length > spec.positionals) refuse(`${command}: unexpected argument ${positionals[spec.positionals]} (see --help)`)
    return { values: values as Values, positionals }
  } catch (e) {
    if (e instanceof UserError) throw e
    return refuse(argumentProblem(command, e))
  }
}

const str = (v: Values, key: string): string | undefined => (typeof v[key] === 'string' ? (v[key] as string) : undefined)
const bool = (v: Values, key: string): boolean => v[key] === true

// ---- plan, iam-policy ----------------------------------------------------------------------------

/** The part of a file made of one section per mode (plans.txt, plans.mmd) that is `mode`'s: from its heading to the next's. */
const sectionOf = (text: string, headings: ReadonlyArray<readonly [ConvergeMode, string]>, mode: ConvergeMode, file: string): string => {
  const i = headings.findIndex(([m]) => m === mode)
  const start = text.startsWith(headings[i]![1]) ? 0 : text.indexOf(`\n${headings[i]![1]}`) + 1
  if (start === 0 && !text.startsWith(headings[i]![1])) return refuse(`${file} has no section for mode ${mode}`)
  const next = headings[i + 1]
  const end = next === undefined ? text.length : text.indexOf(`\n${next[1]}`, start)
  return text.slice(start, end < 0 ? text.length : end)
}

const planCommand = (artifact: Artifact, values: Values, out: (text: string) => void): number => {
  const format = str(values, 'format') ?? (bool(values, 'json') ? 'json' : 'text')
  if (!['text', 'mermaid', 'json'].includes(format)) refuse(`plan: --format ${format}: give text, mermaid or json`)
  if (bool(values, 'json') && format !== 'json') refuse(`plan: --json and --format ${format} ask for two different outputs; choose one`)
  const given = str(values, 'mode')
  const mode = given === undefined ? undefined : modeOf(artifact, given)
  if (format === 'json') {
    // the whole plans.json as it is (its digest is the image's), or one mode's saved plan, for `mitosis apply FILE`
    out(mode === undefined ? readText(artifact.root, ARTIFACT_PATHS.plans) : `${JSON.stringify(artifact.json[mode], null, 2)}\n`)
    return EXIT.done
  }
  const path = format === 'mermaid' ? ARTIFACT_PATHS.mermaid : ARTIFACT_PATHS.text
  const text = readText(artifact.root, path)
  if (mode === undefined || artifact.manifest.modes.length === 1) {
    out(text)
    return EXIT.done
  }
  const headings = artifact.manifest.modes.map((m) => {
    const p = planFileOfMode(artifact, m).plan
    return [m, format === 'mermaid' ? `%% mode ${m}\n` : `# mode ${m}: ${p.source} → ${p.target}\n`] as const
  })
  out(sectionOf(text, headings, mode, inRoot(artifact.root, path)))
  return EXIT.done
}

/**
 * The world iamPolicy reads, as far as the image knows it without reading AWS: its region, and an ARN
 * from the plan (the tags steps name their resource by ARN) for the partition and account.
 */
const policyWorld = (plan: Plan): Environment => {
  const arn = plan.steps.flatMap((s) => (s.op === 'AddTagsToResource' ? [s.request.ResourceName] : [])).find((a) => /^arn:[^:]+:rds:[^:]*:[^:]*:/.test(a))
  const instances = arn === undefined ? [] : [{ DBInstanceIdentifier: plan.target, DBInstanceArn: arn } as DBInstance]
  return { region: plan.region, instances, tags: {}, snapshots: [] }
}

const iamPolicyCommand = (artifact: Artifact, values: Values, out: (text: string) => void): number => {
  const { plan } = planFileOfMode(artifact, modeOf(artifact, str(values, 'mode')))
  out(`${JSON.stringify(iamPolicy(policyWorld(plan), plan), null, 2)}\n`)
  return EXIT.done
}

// ---- manifest kubernetes -------------------------------------------------------------------------

const manifestCommand = (artifact: Artifact, values: Values, positionals: ReadonlyArray<string>, out: (text: string) => void): number => {
  const what = positionals[0]
  if (what !== 'kubernetes') refuse(what === undefined ? 'manifest: say which: manifest kubernetes' : `manifest: ${JSON.stringify(what)} is not a kind of manifest this image writes (kubernetes)`)
  const mode = modeOf(artifact, str(values, 'mode'))
  const schedule = str(values, 'schedule')
  if (schedule !== undefined && !validSchedule(schedule)) refuse(`manifest kubernetes: --schedule ${JSON.stringify(schedule)} is not a cron schedule (five fields, e.g. "0 3 * * 1", or @daily, @weekly, …)`)
  const image = str(values, 'image')
  if (image !== undefined && !/^[^\s"'\\]+$/.test(image)) refuse(`manifest kubernetes: --image ${JSON.stringify(image)} is not an image reference`)
  // without --image: the tag the config named (INI builds), else the build's default tag
  const configPath = inRoot(artifact.root, ARTIFACT_PATHS.config)
  const config = existsSync(configPath) ? readArtifactConfig(configPath) : undefined
  const tag = config !== undefined && E.isRight(config) ? config.right.artifact.tag : DEFAULT_ARTIFACT_TAG
  for (const [flag, name] of [['namespace', str(values, 'namespace')], ['service-account', str(values, 'service-account')], ['secret', str(values, 'secret')]] as const) {
    if (name !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) refuse(`manifest kubernetes: --${flag} ${JSON.stringify(name)} is not a Kubernetes name (lower-case letters, digits, - and .)`)
  }
  const { plan } = planFileOfMode(artifact, mode)
  out(
    kubernetesManifest({
      manifest: artifact.manifest,
      mode,
      steps: plan.steps.length,
      image: image ?? tag,
      imageGiven: image !== undefined,
      schedule,
      namespace: str(values, 'namespace'),
      serviceAccount: str(values, 'service-account'),
      secret: str(values, 'secret'),
      needsPassword: secretsOf(plan).length > 0,
    }),
  )
  return EXIT.done
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

/** The first line of a failure, for the termination log, by its exit code. */
const resultWord = (code: number): string => (code === EXIT.refused ? 'refused' : code === EXIT.stale ? 'stale' : code >= 128 ? 'interrupted' : 'failed')

const converge = async (artifact: Artifact, values: Values, deps: EntryDeps, result: { line?: string }): Promise<number> => {
  const err = deps.stderr
  const mode = modeOf(artifact, str(values, 'mode'))
  const json = bool(values, 'json')
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
        // the image's own run, done: the world differs from the plan's basis because the plan made it so
        if (planProgress(f.environment, saved.plan).every(isDone)) {
          planned = { plan: saved.plan, environment: f.environment }
          break
        }
        if (!bool(values, 'replan')) {
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
    { yes: true, json, 'poll-interval': 30_000, 'step-timeout': 180 * 60_000, 'hook-timeout': 30 * 60_000 },
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
const writeTerminationLog = (path: string, line: string): void => {
  try {
    if (!existsSync(path)) return
    accessSync(path, constants.W_OK)
    // Kubernetes keeps 4096 bytes of it; one line
    writeFileSync(path, `${line.replace(/\s*\n\s*/g, ' ').slice(0, 4000)}\n`)
  } catch {
    // not writable (not in Kubernetes, or another user's): nothing to say
  }
}

// ---- the program ---------------------------------------------------------------------------------

export const HELP = `mitosis database artifact: the reviewed plans of this image and the interpreter that converges them.

Usage: docker run IMAGE <command> [options]

Commands:
  plan [--json | --format text|mermaid|json] [--mode clone|create]
      Print the plans this image carries, byte for byte as they were built (--mode: one plan;
      with json, that plan as a saved plan for \`mitosis apply FILE\`).
  iam-policy [--mode clone|create]
      Print the least-privilege IAM policy the plan needs, as JSON.
  converge --mode clone|create [--replan] [--json] [--db-password-file FILE | --db-password-stdin]
      Check that the world still matches what the plan was made from, then apply it with progress.
      Resumable: run the same command again after a failure or an interruption. Never asks (--yes is
      accepted and changes nothing). --replan: when the world has changed, plan again and apply that.
      The master password: --db-password-file, --db-password-stdin or MITOSIS_DB_PASSWORD; never an
      argument. AWS credentials: the standard chain only (environment, a mounted ~/.aws with
      AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, web identity / IRSA, the ECS task role).
  manifest kubernetes [--schedule CRON] [--image REF@sha256:…] [--namespace NS] [--service-account SA]
                      [--secret NAME] [--mode clone|create]
      Print a Kubernetes Job (a CronJob with --schedule) that runs this image's converge.

Options: --help, --version, --debug (stack traces on errors).

Exit codes (the image's contract):
  0    done, or nothing to do
  1    failed while applying, or AWS unreachable or erroring (running again resumes)
  2    refused: invalid input (options, password missing, plan digest mismatch, a production target)
  3    the plan is stale: the world changed since the image was built (the differences are printed)
  130, 143, 129  interrupted by SIGINT, SIGTERM, SIGHUP (the same command resumes)

Environment: MITOSIS_DB_PASSWORD (the master password), AWS_REGION, AWS_PROFILE and the SDK's
others. MITOSIS_ARTIFACT_ROOT moves /mitosis elsewhere: for mitosis's own tests only.
`

const versionText = (artifact: Artifact): string => {
  const m = artifact.manifest
  return `mitosis ${m.mitosis}${m.revision === undefined ? '' : ` (${m.revision.slice(0, 12)})`}\nartifact: ${m.source} → ${m.target} in ${m.region}, modes ${m.modes.join(', ')}, plan ${m.planDigest}\n`
}

/** Runs one command; returns the exit code. Every failure is one line on stderr (and under --json, a JSON error object on stdout). */
export const main = async (argv: string[], given: Partial<EntryDeps> = {}): Promise<number> => {
  const env = given.env ?? process.env
  const deps: EntryDeps = { ...defaultDeps(env), ...given }
  const [command, ...rest] = argv
  const debug = argv.includes('--debug')
  const result: { line?: string } = {}
  let json = false
  let code: number
  try {
    if (command === undefined) {
      deps.stderr(HELP)
      return EXIT.refused
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      deps.stdout(HELP)
      return EXIT.done
    }
    if (command === '--version' || command === '-V' || command === 'version') {
      deps.stdout(versionText(loadArtifact(deps.root)))
      return EXIT.done
    }
    if (COMMANDS[command] === undefined) {
      refuse(command.startsWith('-') ? `unknown option ${command}; give a command first: plan, iam-policy, converge, manifest (see --help)` : `unknown command ${JSON.stringify(command)}: the commands are plan, iam-policy, converge, manifest (see --help)`)
    }
    const { values, positionals } = parseCommand(command, rest)
    json = command === 'converge' && bool(values, 'json')
    if (bool(values, 'help')) {
      deps.stdout(HELP)
      return EXIT.done
    }
    const artifact = loadArtifact(deps.root)
    switch (command) {
      case 'plan':
        code = planCommand(artifact, values, deps.stdout)
        break
      case 'iam-policy':
        code = iamPolicyCommand(artifact, values, deps.stdout)
        break
      case 'manifest':
        code = manifestCommand(artifact, values, positionals, deps.stdout)
        break
      default:
        code = await converge(artifact, values, deps, result)
    }
  } catch (e) {
    const failure = describeFailure(e, debug)
    code = failure.exit
    deps.stderr(`${failure.text}\n`)
    const message = failure.text.split('\n')[0]!.replace(/^Error: /, '')
    if (json) deps.stdout(`${JSON.stringify({ error: { name: (e as Error).name ?? 'Error', message, exitCode: code } })}\n`)
    result.line = `${resultWord(code)} (exit ${code}): ${message}`
  }
  if (command === 'converge' && result.line !== undefined) writeTerminationLog(deps.terminationLog, `mitosis converge: ${result.line}`)
  return code
}

/** Whether this module is the process's entry: the bundle's own URL after esbuild, this file's before (symlinks resolved). */
const isEntry = (): boolean => {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))
  } catch {
    return false
  }
}

if (isEntry()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (e: unknown) => {
      process.stderr.write(`Error: ${String(e)}\n`)
      process.exitCode = EXIT.failed
    },
  )
}
