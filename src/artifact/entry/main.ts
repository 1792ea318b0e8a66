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
import { existsSync, realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as E from 'fp-ts/lib/Either.js'
import { describeFailure } from '../../cli/errors.js'
import { exitCodeFor } from '../../cli/interrupt.js'
import { readProcessStdin } from '../../cli/password-source.js'
import { secretsOf } from '../../interpret/workflow.js'
import type { DBInstance, Environment } from '../../plan/domain.js'
import { iamPolicy } from '../../plan/iam.js'
import type { Plan } from '../../plan/plan.js'
import { readArtifactConfig, DEFAULT_ARTIFACT_TAG } from '../config.js'
import { ARTIFACT_DIR, ARTIFACT_PATHS, type ConvergeMode } from '../contents.js'
import { bool, COMMANDS, parseCommand, str, type Values } from './args.js'
import { awsWorld, converge, resultWord, writeTerminationLog, type EntryDeps } from './converge.js'
import { EXIT, inRoot, loadArtifact, modeOf, planFileOfMode, readText, refuse, type Artifact } from './files.js'
import { kubernetesManifest, validSchedule } from './kubernetes.js'

export { EXIT }
export type { EntryDeps, World } from './converge.js'

const defaultDeps = (env: NodeJS.ProcessEnv): EntryDeps => ({
  root: env['MITOSIS_ARTIFACT_ROOT'] ?? ARTIFACT_DIR,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  terminal: process.stdout.isTTY ? process.stdout : undefined,
  env,
  readStdin: readProcessStdin,
  stdinIsTTY: process.stdin.isTTY === true,
  connect: awsWorld,
  terminationLog: '/dev/termination-log',
})

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
           [--poll-interval SECONDS] [--step-timeout SECONDS]
      Check that the world still matches what the plan was made from, then apply it with progress.
      Resumable: run the same command again after a failure or an interruption. Never asks (--yes is
      accepted and changes nothing). --replan: when the world has changed (or this plan's run is done),
      plan again and apply that: a scheduled refresh. --poll-interval: seconds between status polls
      (default 30); --step-timeout: seconds one step may take (default 10800; re-run to keep waiting).
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
  // As PID 1 in a container, node gets no default action for SIGTERM from the kernel: a signal that comes
  // while no apply is listening (reading the world, checking the plan) ends the program at once, 128 + n,
  // as it would anywhere else; during an apply, its own handler stops it cleanly (src/cli/interrupt.ts).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (process.listenerCount(signal) === 1) process.exit(exitCodeFor(signal))
    })
  }
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

